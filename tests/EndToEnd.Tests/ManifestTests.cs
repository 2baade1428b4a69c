using System.Diagnostics;
using System.Text.Json;

namespace Switchboard.EndToEnd.Tests;

public sealed class ManifestTests
{
    [Fact]
    public async Task Publisher_manifest_lists_every_resource_with_containers_for_redis_and_postgres()
    {
        // ProjectPath names the app host's folder (older Aspire versions named the .csproj).
        var appHostDir = Directory.Exists(Projects.AppHost.ProjectPath)
            ? Projects.AppHost.ProjectPath
            : Path.GetDirectoryName(Projects.AppHost.ProjectPath)!;
        var output = Path.Combine(Path.GetTempPath(), $"switchboard-manifest-{Guid.NewGuid():N}.json");
#if DEBUG
        const string configuration = "Debug";
#else
        const string configuration = "Release";
#endif
        var psi = new ProcessStartInfo("dotnet", ["run", "--project", appHostDir, "--no-build", "-c", configuration, "--",
            "--publisher", "manifest", "--output-path", output])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(psi)!;
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var stdout = process.StandardOutput.ReadToEndAsync(cts.Token);
        var stderr = process.StandardError.ReadToEndAsync(cts.Token);
        await process.WaitForExitAsync(cts.Token);
        Assert.True(process.ExitCode == 0, await stdout + await stderr);

        using var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(output));
        File.Delete(output);
        var resources = manifest.RootElement.GetProperty("resources");
        foreach (var name in new[] { "redis", "postgres", "metricsdb", "controldb", "gateway", "router", "metrics", "admin", "simulator" })
        {
            Assert.True(resources.TryGetProperty(name, out _), $"manifest lacks {name}");
        }
        Assert.Equal("container.v0", resources.GetProperty("redis").GetProperty("type").GetString());
        Assert.Equal("container.v0", resources.GetProperty("postgres").GetProperty("type").GetString());
        Assert.Equal("project.v0", resources.GetProperty("gateway").GetProperty("type").GetString());
        // The deployed gateway cannot read a file from the developer's disk: the document travels inline.
        Assert.True(resources.GetProperty("gateway").GetProperty("env").TryGetProperty("Switchboard__RoutingJson", out _));
    }
}
