using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Switchboard.Contracts.Outcomes;
using Switchboard.Contracts.Redis;
using Switchboard.Router.Extensions;
using Switchboard.Router.Health;
using Switchboard.Router.Leadership;
using Switchboard.Router.Quality;
using Switchboard.Router.Snapshots;
using Switchboard.Testing;
using Xunit.Abstractions;

namespace Switchboard.Router.Tests.Health;

/// <summary>The stream consumer against a real Redis: acknowledgement, claiming from a dead consumer, dead letters, throughput.</summary>
public sealed class OutcomeConsumerTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly DeploymentKey D = new("openai", "gpt-4o-2024-08-06");
    private readonly RedisServer _redis = new();
    private ConnectionMultiplexer _mux = null!;
    private ServiceProvider _metrics = null!;

    public async Task InitializeAsync()
    {
        await _redis.InitializeAsync();
        _mux = await ConnectionMultiplexer.ConnectAsync(_redis.ConnectionString);
        _metrics = new ServiceCollection().AddMetrics().BuildServiceProvider();
    }

    public async Task DisposeAsync()
    {
        await _metrics.DisposeAsync();
        await _mux.DisposeAsync();
        await _redis.DisposeAsync();
    }

    private (OutcomeConsumer Consumer, HealthModel Health, QualityModel Quality) Consumer(string name, TimeSpan? claimIdle = null)
    {
        var options = Options.Create(new RouterOptions
        {
            InstanceId = name,
            ClaimMinIdle = claimIdle ?? TimeSpan.FromSeconds(30),
            ClaimInterval = TimeSpan.Zero,
        });
        var quality = new QualityModel(TimeProvider.System);
        var health = new HealthModel(Options.Create(new HealthOptions()), quality, TimeProvider.System);
        var lease = new LeaderLease(_mux, options, TimeProvider.System, NullLogger<LeaderLease>.Instance);
        var consumer = new OutcomeConsumer(lease, _mux, health, quality, new SnapshotTrigger(),
            new RouterMetrics(_metrics.GetRequiredService<IMeterFactory>()), options, TimeProvider.System, NullLogger<OutcomeConsumer>.Instance);
        return (consumer, health, quality);
    }

    private static OutcomeEvent Event(int i, bool ok = true) => new()
    {
        RequestId = $"req-{i}",
        Attempt = 1,
        StartedAt = DateTimeOffset.UtcNow,
        Route = "chat",
        Provider = D.Provider,
        Model = D.Model,
        Outcome = ok ? AttemptOutcome.Success : AttemptOutcome.Failure,
        Error = ok ? null : ErrorClass.ServerError,
        Status = ok ? 200 : 503,
        LatencyMs = 100 + (i % 100),
        TtftMs = 20 + (i % 10),
    };

    private async Task AddAsync(IEnumerable<OutcomeEvent> events)
    {
        var db = _mux.GetDatabase();
        var batch = new List<Task>();
        foreach (var e in events)
        {
            batch.Add(db.StreamAddAsync(RedisKeys.OutcomesStream, RedisKeys.OutcomeField, JsonSerializer.SerializeToUtf8Bytes(e, ContractJson.Default.OutcomeEvent)));
            if (batch.Count == 1000)
            {
                await Task.WhenAll(batch);
                batch.Clear();
            }
        }
        await Task.WhenAll(batch);
    }

    private static async Task DrainAsync(OutcomeConsumer consumer)
    {
        while (await consumer.ConsumeOnceAsync() > 0)
        {
        }
    }

    private async Task<long> PendingAsync() =>
        (await _mux.GetDatabase().StreamPendingAsync(RedisKeys.OutcomesStream, RedisKeys.RouterConsumerGroup)).PendingMessageCount;

    [Fact]
    public async Task Events_AreAppliedThenAcknowledged()
    {
        var (consumer, health, _) = Consumer("live");
        await consumer.EnsureGroupAsync();
        await AddAsync(Enumerable.Range(0, 50).Select(i => Event(i, ok: i % 5 != 0)));

        await DrainAsync(consumer);

        var d = health.Detail(D)!;
        Assert.Equal(50, d.OneMinute.Requests);
        Assert.Equal(0.2, d.OneMinute.ErrorRate, 6);
        Assert.Equal(0, await PendingAsync());
    }

    [Fact]
    public async Task PendingEntriesOfADeadConsumer_AreClaimedByALiveOne()
    {
        var (live, health, _) = Consumer("live", claimIdle: TimeSpan.FromMilliseconds(200));
        await live.EnsureGroupAsync();
        await AddAsync(Enumerable.Range(0, 30).Select(i => Event(i)));
        // "dead" reads them and dies before acknowledging.
        var taken = await _mux.GetDatabase().StreamReadGroupAsync(RedisKeys.OutcomesStream, RedisKeys.RouterConsumerGroup, "dead", StreamPosition.NewMessages, 100);
        Assert.Equal(30, taken.Length);
        Assert.Equal(30, await PendingAsync());

        await Task.Delay(300);
        await DrainAsync(live);

        Assert.Equal(30, health.Detail(D)!.OneMinute.Requests);
        Assert.Equal(0, await PendingAsync());
    }

    [Fact]
    public async Task UnreadableEntry_GoesToTheDeadLetterStream_AndIsAcknowledged()
    {
        var (consumer, health, _) = Consumer("live");
        await consumer.EnsureGroupAsync();
        var db = _mux.GetDatabase();
        await db.StreamAddAsync(RedisKeys.OutcomesStream, RedisKeys.OutcomeField, "{not json");
        await AddAsync([Event(1)]);

        await DrainAsync(consumer);

        var dead = await db.StreamRangeAsync(RedisKeys.OutcomesDeadLetterStream);
        var entry = Assert.Single(dead);
        Assert.Equal("{not json", (string?)entry["e"]);
        Assert.Equal("live", (string?)entry["consumer"]);
        Assert.Equal(1, health.Detail(D)!.OneMinute.Requests);
        Assert.Equal(0, await PendingAsync());
    }

    [Fact]
    public async Task SampledStructureChecks_FeedTheQualityScore()
    {
        var (consumer, _, quality) = Consumer("live");
        await consumer.EnsureGroupAsync();
        await AddAsync(Enumerable.Range(0, 10).Select(i => Event(i) with
        {
            Checks = new AnswerChecks { JsonValid = i >= 3, Truncated = i == 9 },
        }));

        await DrainAsync(consumer);

        var score = Assert.Single(quality.Scores());
        Assert.Equal(0.7, score.Score!.Value, 6);
        Assert.Equal(3, score.StructureFailures);
        Assert.Equal(0.1, score.TruncatedRate, 6);
    }

    /// <summary>
    /// A burst drained completely (every event applied once, nothing left pending). Prints the rate; set
    /// ROUTER_BENCH_EVENTS=200000 for the figure in the report (default 20,000 keeps the suite quick).
    /// </summary>
    [Fact]
    public async Task Burst_IsDrainedCompletely()
    {
        var n = int.TryParse(Environment.GetEnvironmentVariable("ROUTER_BENCH_EVENTS"), out var v) ? v : 20_000;
        var (consumer, health, _) = Consumer("live");
        await consumer.EnsureGroupAsync();
        await AddAsync(Enumerable.Range(0, n).Select(i => Event(i)));

        var watch = Stopwatch.StartNew();
        await DrainAsync(consumer);
        watch.Stop();

        output.WriteLine($"drained {n} events in {watch.Elapsed.TotalMilliseconds:0} ms: {n / watch.Elapsed.TotalSeconds:0} events/s");
        Assert.Equal(n, health.Detail(D)!.FiveMinutes.Requests);
        Assert.Equal(0, await PendingAsync());
    }
}
