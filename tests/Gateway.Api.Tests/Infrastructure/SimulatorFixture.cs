using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Switchboard.Testing;

namespace Switchboard.Gateway.Tests.Infrastructure;

/// <summary>
/// Provider.Simulator as a real process on a free loopback port (built through the test project's reference),
/// shared by every test of the <see cref="SimulatorCollection"/> and killed on dispose. Tests give each of their
/// providers a unique name, so stats never mix.
/// </summary>
public sealed class SimulatorFixture : IAsyncLifetime
{
    private Process? _process;
    private readonly HttpClient _http = new();

    public Uri BaseUrl { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var dll = SimulatorDll();
        var port = FreePort.Next();
        BaseUrl = new Uri($"http://127.0.0.1:{port}");
        var psi = new ProcessStartInfo("dotnet", $"\"{dll}\" --urls {BaseUrl.ToString().TrimEnd('/')}")
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        psi.Environment["Logging__LogLevel__Default"] = "Warning";
        _process = Process.Start(psi) ?? throw new InvalidOperationException("the simulator did not start");
        _process.OutputDataReceived += static (_, _) => { };
        _process.ErrorDataReceived += static (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        _http.BaseAddress = BaseUrl;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                using var r = await _http.GetAsync("/health");
                if (r.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline && !_process.HasExited)
            {
            }
            if (DateTime.UtcNow >= deadline || _process.HasExited)
            {
                throw new InvalidOperationException($"the simulator at {BaseUrl} did not become healthy");
            }
            await Task.Delay(100);
        }
    }

    /// <summary>Sets a provider profile (CONTRACT.md section 5): fast by default, so tests stay quick.</summary>
    public async Task SetProfileAsync(string name, object profile)
    {
        using var r = await _http.PutAsJsonAsync($"/_sim/providers/{name}", profile);
        r.EnsureSuccessStatusCode();
    }

    /// <summary>A fresh provider of the given type with near-zero latency, plus whatever the test overrides.</summary>
    public async Task<string> NewProviderAsync(string type, object? overrides = null)
    {
        var name = $"{type}-{Guid.NewGuid():N}"[..20];
        await SetProfileAsync(name, new { type, ttftMs = new { p50 = 1, p99 = 2 }, tokensPerSecond = 0, outputTokens = 12 });
        if (overrides is not null)
        {
            await SetProfileAsync(name, overrides);
        }
        return name;
    }

    public async Task<SimStats> StatsAsync(string name) =>
        (await _http.GetFromJsonAsync<SimStats>($"/_sim/providers/{name}/stats", new JsonSerializerOptions(JsonSerializerDefaults.Web)))!;

    /// <summary>The base URL a routing document gives a provider of this type served by the simulator.</summary>
    public string ProviderBaseUrl(string name, string type) =>
        type == "openai" ? $"{BaseUrl.ToString().TrimEnd('/')}/{name}/v1" : $"{BaseUrl.ToString().TrimEnd('/')}/{name}";

    public Task DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }
        _process?.Dispose();
        _http.Dispose();
        return Task.CompletedTask;
    }

    private static string SimulatorDll()
    {
        // tests/Gateway.Api.Tests/bin/<Configuration>/net10.0/ -> <repo>/Provider.Simulator/bin/<Configuration>/net10.0/
        var here = new DirectoryInfo(AppContext.BaseDirectory);
        var configuration = here.Parent!.Name;
        var dir = here;
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Aspire.sln")))
        {
            dir = dir.Parent;
        }
        if (dir is null)
        {
            throw new InvalidOperationException("repository root (Aspire.sln) not found above " + AppContext.BaseDirectory);
        }
        var dll = Path.Combine(dir.FullName, "Provider.Simulator", "bin", configuration, "net10.0", "Provider.Simulator.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException("build Provider.Simulator first", dll);
    }
}

public sealed record SimStats(long Requests, long Completed, long Cancelled, long Failed);

[CollectionDefinition(Name)]
public sealed class SimulatorCollection : ICollectionFixture<SimulatorFixture>
{
    public const string Name = "simulator";
}
