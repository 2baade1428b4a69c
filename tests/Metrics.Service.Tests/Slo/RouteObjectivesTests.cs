using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Switchboard.Metrics.Slo;

namespace Switchboard.Metrics.Tests.Slo;

public sealed class RouteObjectivesTests : IDisposable
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"routing-{Guid.NewGuid():N}.json");

    private static string Document(double availability) => $$"""
        { "providers": { "openai": { "type": "openai", "baseUrl": "${URL}/v1" } },
          "routes": { "chat": { "targets": [ { "provider": "openai", "model": "m" } ], "slo": { "availability": {{availability}} } } } }
        """;

    [Fact]
    public async Task Readers_see_the_file_at_start_then_the_snapshot_the_refresh_swaps_in()
    {
        await File.WriteAllTextAsync(_file, Document(0.99));
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["config"] = _file }).Build();
        var objectives = new RouteObjectives(configuration, NullLogger<RouteObjectives>.Instance, TimeProvider.System);
        Assert.Equal(0.99, objectives.Current["chat"].Availability);

        await File.WriteAllTextAsync(_file, Document(0.995));
        File.SetLastWriteTimeUtc(_file, DateTime.UtcNow.AddMinutes(1));
        // A read does no I/O: the change counts once the background refresh has run.
        Assert.Equal(0.99, objectives.Current["chat"].Availability);
        await objectives.RefreshAsync();
        Assert.Equal(0.995, objectives.Current["chat"].Availability);
        Assert.Same(objectives.Current, objectives.Current);

        // An unreadable edit keeps the last good document.
        await File.WriteAllTextAsync(_file, "{ not json");
        File.SetLastWriteTimeUtc(_file, DateTime.UtcNow.AddMinutes(2));
        await objectives.RefreshAsync();
        Assert.Equal(0.995, objectives.Current["chat"].Availability);
    }

    public void Dispose() => File.Delete(_file);
}
