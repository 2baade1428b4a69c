using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Switchboard.Simulator.Tests.Infrastructure;

// The simulator on real Kestrel, 127.0.0.1 and a free port, so the official SDKs talk to it over real HTTP. Tests
// create their own uniquely named providers through the control API and never share one.
public class SimulatorServer : WebApplicationFactory<Program>
{
    private static int s_counter;
    private Uri? _baseAddress;

    // When set, every delay in the simulator runs on this clock.
    protected virtual FakeTimeProvider? Clock => null;

    public Uri BaseAddress => _baseAddress ??= Start();

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Simulator:Providers:configured:type", "anthropic");
        builder.UseSetting("Simulator:Providers:configured:outputTokens", "7");
        builder.ConfigureTestServices(services =>
        {
            if (Clock is { } clock)
            {
                services.AddSingleton<TimeProvider>(clock);
            }
        });
    }

    private Uri Start()
    {
        UseKestrel(0);
        StartServer();
        var address = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var uri = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal).Replace("localhost", "127.0.0.1", StringComparison.Ordinal));
        Http.BaseAddress = uri;
        return uri;
    }

    public static string UniqueName(string prefix) => $"{prefix}{Interlocked.Increment(ref s_counter)}";

    // Creates (or patches) a provider; zero latency unless the patch says otherwise.
    public async Task<string> ProviderAsync(string type, object? patch = null, string? name = null)
    {
        name ??= UniqueName(type);
        _ = BaseAddress;
        var baseline = await Http.PutAsJsonAsync($"/_sim/providers/{name}", new { type, ttftMs = new { p50 = 0, p99 = 0 }, tokensPerSecond = 0 });
        baseline.EnsureSuccessStatusCode();
        if (patch is not null)
        {
            var response = await Http.PutAsJsonAsync($"/_sim/providers/{name}", patch);
            response.EnsureSuccessStatusCode();
        }

        return name;
    }

    public async Task<Stats> StatsAsync(string name) =>
        (await Http.GetFromJsonAsync<Stats>($"/_sim/providers/{name}/stats"))!;

    // Polls until the statistics satisfy a condition (outcomes are counted after the response ends).
    public async Task<Stats> WaitForStatsAsync(string name, Func<Stats, bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (true)
        {
            var stats = await StatsAsync(name);
            if (condition(stats))
            {
                return stats;
            }

            await Task.Delay(20, timeout.Token);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Http.Dispose();
        }

        base.Dispose(disposing);
    }
}

public sealed record Stats(long Requests, long Completed, long Cancelled, long Failed);

// The simulator with a FakeTimeProvider: pacing is asserted by advancing time, never by waiting.
public sealed class FakeClockSimulatorServer : SimulatorServer
{
    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));

    protected override FakeTimeProvider? Clock => Time;
}

[CollectionDefinition(Name)]
public sealed class SimulatorCollection : ICollectionFixture<SimulatorServer>
{
    public const string Name = "simulator";
}
