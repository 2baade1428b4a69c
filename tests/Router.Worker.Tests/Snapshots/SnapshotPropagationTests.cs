using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using StackExchange.Redis;
using Switchboard.Contracts.Health;
using Switchboard.Contracts.Outcomes;
using Switchboard.Contracts.Redis;
using Switchboard.Router.Health;
using Switchboard.Router.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Switchboard.Router.Tests.Snapshots;

/// <summary>
/// A gateway replica's side of the snapshot protocol, as Gateway.Api implements it (it is written in parallel,
/// so this test uses a Redis subscriber that mimics it): on a <see cref="SnapshotChange"/> message, GET the
/// snapshot (or routing document) and swap it in when its version is newer.
/// </summary>
internal sealed class MimicGateway : IAsyncDisposable
{
    private readonly ConnectionMultiplexer _mux;
    private HealthSnapshot? _health;
    private long _routingVersion;

    private MimicGateway(ConnectionMultiplexer mux) => _mux = mux;

    public HealthSnapshot? Health => Volatile.Read(ref _health);
    public long RoutingVersion => Interlocked.Read(ref _routingVersion);
    public event Action<HealthSnapshot>? HealthApplied;

    public static async Task<MimicGateway> StartAsync(string redis)
    {
        var gateway = new MimicGateway(await ConnectionMultiplexer.ConnectAsync(redis));
        await gateway._mux.GetSubscriber().SubscribeAsync(RedisChannel.Literal(RedisKeys.ChangesChannel), (_, message) => gateway.OnChange(message));
        return gateway;
    }

    private void OnChange(RedisValue message)
    {
        var change = JsonSerializer.Deserialize((string)message!, ContractJson.Default.SnapshotChange)!;
        var db = _mux.GetDatabase();
        if (change.Kind == "health")
        {
            var snapshot = JsonSerializer.Deserialize((string)db.StringGet(RedisKeys.HealthSnapshot)!, ContractJson.Default.HealthSnapshot)!;
            if (snapshot.Version > (Health?.Version ?? 0))
            {
                Volatile.Write(ref _health, snapshot);
                HealthApplied?.Invoke(snapshot);
            }
        }
        else if (change.Kind == "routing" && db.StringGet(RedisKeys.RoutingVersion).TryParse(out long v))
        {
            Interlocked.Exchange(ref _routingVersion, v);
        }
    }

    public async ValueTask DisposeAsync() => await _mux.DisposeAsync();
}

public sealed class SnapshotPropagationTests(Servers servers, ITestOutputHelper output) : IClassFixture<Servers>, IAsyncLifetime
{
    private FakeProvider _provider = null!;
    private RouterApp _app = null!;
    private ConnectionMultiplexer _mux = null!;

    public async Task InitializeAsync()
    {
        _mux = await ConnectionMultiplexer.ConnectAsync(servers.Redis.ConnectionString);
        _provider = await FakeProvider.StartAsync();
        await servers.Redis.FlushAsync();
        _app = new RouterApp(servers.Redis.ConnectionString, servers.Postgres.ConnectionString, RouterApp.Document(_provider.BaseUrl));
        await _app.WaitForLeadershipAsync();
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _provider.DisposeAsync();
        await _mux.DisposeAsync();
    }

    [Fact]
    public async Task HealthChange_FromTheStream_ReachesASubscribedGateway()
    {
        await using var gateway = await MimicGateway.StartAsync(servers.Redis.ConnectionString);
        await _app.Get<OutcomeConsumer>().EnsureGroupAsync();
        await Wait.UntilAsync(async () => _mux.GetDatabase().KeyExists(RedisKeys.HealthSnapshot),
            TimeSpan.FromSeconds(10), "the first snapshot");

        var applied = new TaskCompletionSource<(HealthSnapshot Snapshot, TimeSpan At)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var watch = new Stopwatch();
        gateway.HealthApplied += s =>
        {
            if (s.Deployments.Any(d => d.Provider == "fake" && d.State == HealthState.Down))
            {
                applied.TrySetResult((s, watch.Elapsed));
            }
        };

        var db = _mux.GetDatabase();
        watch.Start();
        for (var i = 0; i < 3; i++)
        {
            await db.StreamAddAsync(RedisKeys.OutcomesStream, RedisKeys.OutcomeField, JsonSerializer.Serialize(new OutcomeEvent
            {
                RequestId = $"r{i}",
                Attempt = 1,
                StartedAt = DateTimeOffset.UtcNow,
                Route = "chat",
                Provider = "fake",
                Model = "gpt-4o-2024-08-06",
                Outcome = AttemptOutcome.Failure,
                Error = ErrorClass.ServerError,
                Status = 503,
                LatencyMs = 5,
            }, ContractJson.Default.OutcomeEvent));
        }
        var (snapshot, elapsed) = await applied.Task.WaitAsync(TimeSpan.FromSeconds(10));

        output.WriteLine($"outcome XADD -> gateway applied the down state: {elapsed.TotalMilliseconds:0} ms");
        var fake = snapshot.Deployments.Single(d => d.Provider == "fake");
        Assert.Equal(CircuitState.Open, fake.Circuit);
        Assert.True(snapshot.Version > 1);
    }

    [Fact]
    public async Task RoutingPublish_ReachesASubscribedGateway()
    {
        await using var gateway = await MimicGateway.StartAsync(servers.Redis.ConnectionString);
        using var admin = _app.Admin();
        // Warm-up: the first call creates the controldb schema and JIT-compiles the path.
        (await admin.PostAsJsonAsync("/api/routing/publish", new { document = JsonDocument.Parse(RouterApp.Document(_provider.BaseUrl)).RootElement })).EnsureSuccessStatusCode();
        var watch = Stopwatch.StartNew();

        var response = await admin.PostAsJsonAsync("/api/routing/publish", new
        {
            document = JsonDocument.Parse(RouterApp.Document(_provider.BaseUrl, apiKey: "sk-other")).RootElement,
            comment = "propagation",
        });
        response.EnsureSuccessStatusCode();
        var version = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("version").GetInt64();
        await Wait.UntilAsync(() => Task.FromResult(gateway.RoutingVersion == version), TimeSpan.FromSeconds(10), "routing version at the gateway");

        output.WriteLine($"publish request -> gateway applied routing version {version}: {watch.Elapsed.TotalMilliseconds:0} ms");
    }
}
