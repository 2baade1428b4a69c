using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using StackExchange.Redis;
using Switchboard.Contracts.Health;
using Switchboard.Contracts.Keys;
using Switchboard.Contracts.Outcomes;
using Switchboard.Contracts.Redis;
using Switchboard.Gateway.Keys;
using Switchboard.Gateway.Tests.Infrastructure;
using Switchboard.Testing;
using Xunit.Abstractions;
using static Switchboard.Gateway.Tests.Routing.StrategyTests;

namespace Switchboard.Gateway.Tests.Limits;

/// <summary>
/// Gateway replicas sharing one real Redis: keys issued by Router.Worker, budgets by reservation, per-key rate
/// limits, credential reports, and serving on while Redis is stopped.
/// </summary>
[Collection(SimulatorCollection.Name)]
public sealed class SharedStateTests(SimulatorFixture sim, ITestOutputHelper output) : IAsyncLifetime
{
    private const string Model = "gpt-4o-2024-08-06";
    private readonly RedisServer _redis = new();

    public Task InitializeAsync() => _redis.InitializeAsync();

    public Task DisposeAsync() => _redis.DisposeAsync();

    private Dictionary<string, string?> WithRedis() => new() { ["ConnectionStrings:redis"] = _redis.ConnectionString };

    private async Task<(string Provider, RoutingJson Doc)> RouteAsync()
    {
        var doc = new RoutingJson();
        var provider = await sim.NewProviderAsync("openai");
        doc.Provider(provider, "openai", sim.ProviderBaseUrl(provider, "openai"), "sim-key").Route("chat", [(provider, Model)]);
        return (provider, doc);
    }

    private async Task<long> SpentNanoAsync(string key)
    {
        await using var mux = await ConnectionMultiplexer.ConnectAsync(_redis.ConnectionString);
        return (long)await mux.GetDatabase().HashGetAsync(RedisKeys.KeyBudget(key), RedisKeys.BudgetSpentField);
    }

    private static async Task EventuallyAsync(Func<Task<bool>> condition, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"not within {within}");
            await Task.Delay(25);
        }
    }

    [Fact]
    public async Task Two_replicas_with_200_concurrent_requests_never_spend_over_a_1_dollar_budget()
    {
        var (_, doc) = await RouteAsync();
        // Expensive on purpose: each request may cost ~0.105 USD (18 input + 64 output tokens), costs ~0.02.
        doc.Price(Model, 500m, 1500m);
        var json = new Doc(doc).Key("team", "sb-team-key", budgetUsd: 1m).ToString();
        var outcomesA = new CapturingOutcomeSink();
        var outcomesB = new CapturingOutcomeSink();
        using var a = new GatewayFactory(json, WithRedis(), outcomesA.Install);
        using var b = new GatewayFactory(json, WithRedis(), outcomesB.Install);
        var httpA = a.Http();
        var httpB = b.Http();

        var burst = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => SendAsync(i % 2 == 0 ? httpA : httpB, "chat", "sb-team-key", maxTokens: 64)));
        Assert.Contains(burst, r => r.Status == HttpStatusCode.OK);
        var refused = burst.Where(r => r.Status == HttpStatusCode.TooManyRequests).ToList();
        Assert.NotEmpty(refused);
        Assert.All(refused, r => Assert.Contains("\"budget_exceeded\"", r.Body, StringComparison.Ordinal));
        Assert.All(refused, r => Assert.True(r.Response.Headers.RetryAfter is not null));

        // Then one at a time until the budget itself is used up (nothing in flight).
        for (var i = 0; i < 100; i++)
        {
            var r = await SendAsync(i % 2 == 0 ? httpA : httpB, "chat", "sb-team-key", maxTokens: 64);
            if (r.Status == HttpStatusCode.TooManyRequests)
            {
                break;
            }
            Assert.Equal(HttpStatusCode.OK, r.Status);
        }
        // The truth is what the attempts cost (outcome events); the shared ledger must agree once settled.
        await Task.Delay(1500);
        var recorded = outcomesA.Events.Concat(outcomesB.Events).Where(e => e.KeyName == "team").Sum(e => e.CostUsd);
        Assert.InRange(recorded, 0.85m, 1m);
        Assert.Equal(recorded, await SpentNanoAsync("team") / 1e9m);
    }

    [Fact]
    public async Task Requests_per_minute_are_counted_across_replicas()
    {
        var (_, doc) = await RouteAsync();
        var json = new Doc(doc).Key("rpm", "sb-rpm-key", requestsPerMinute: 3).ToString();
        using var a = new GatewayFactory(json, WithRedis());
        using var b = new GatewayFactory(json, WithRedis());
        var httpA = a.Http();
        var httpB = b.Http();
        if (DateTimeOffset.UtcNow.Second >= 55)
        {
            await Task.Delay(TimeSpan.FromSeconds(61 - DateTimeOffset.UtcNow.Second));
        }
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(httpA, "chat", "sb-rpm-key")).Status);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(httpB, "chat", "sb-rpm-key")).Status);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(httpA, "chat", "sb-rpm-key")).Status);
        var refused = await SendAsync(httpB, "chat", "sb-rpm-key");
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.Status);
        Assert.Contains("3 requests per minute", refused.Body, StringComparison.Ordinal);
        Assert.InRange(refused.Response.Headers.RetryAfter!.Delta!.Value.TotalSeconds, 1, 60);
    }

    [Fact]
    public async Task Keys_issued_by_Router_Worker_apply_within_a_second_and_survive_Redis_going_away()
    {
        var (_, doc) = await RouteAsync();
        using var gateway = new GatewayFactory(doc.ToString(), WithRedis());
        var http = gateway.Http();
        // No keys anywhere: local use, no key required.
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(http, "chat")).Status);
        var sync = gateway.Services.GetServices<IHostedService>().OfType<RedisKeySync>().Single();
        var wasSubscribed = sync.Subscribed.IsCompleted;

        await using var mux = await ConnectionMultiplexer.ConnectAsync(_redis.ConnectionString);
        var db = mux.GetDatabase();
        async Task PublishAsync(bool revoked)
        {
            var entry = JsonSerializer.Serialize(new
            {
                name = "issued",
                keyHash = GatewayKeyHash.Create("sb-issued-secret"),
                models = new[] { "chat" },
                limits = new { requestsPerMinute = (int?)null, tokensPerMinute = (int?)null },
                budgetUsd = (decimal?)null,
                revoked,
            });
            await db.HashSetAsync(RedisKeys.GatewayKeys, "issued", entry);
            await db.PublishAsync(RedisChannel.Literal(RedisKeys.ChangesChannel), JsonSerializer.Serialize(new SnapshotChange("keys", 1), ContractJson.Default.SnapshotChange));
        }

        // The promise is about a running gateway: one that has subscribed to the announcements. A gateway still making
        // its first connection to Redis (it serves meanwhile, as above) reads the table when it gets there instead.
        await sync.Subscribed.WaitAsync(TimeSpan.FromSeconds(60));
        var directory = gateway.Services.GetRequiredService<KeyDirectory>();
        var started = Stopwatch.StartNew();
        await PublishAsync(revoked: false);
        var published = started.Elapsed;
        // Applied: the gateway's key table holds the issued key (timed in the gateway itself, so the test client's own
        // requests, slow on a loaded machine, are not counted); what that means for requests is checked right after.
        while (directory.IssuedCount == 0 && started.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(5);
        }
        var applied = started.Elapsed;
        Assert.True(applied < TimeSpan.FromSeconds(1), $"applied after {applied.TotalMilliseconds:F0} ms");
        // Keys are now required: a wrong key and no key are refused, the issued key is let in.
        var request = Stopwatch.StartNew();
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(http, "chat", "wrong")).Status);
        output.WriteLine($"subscribed before the first request returned: {wasSubscribed}; change applied {applied.TotalMilliseconds:F0} ms " +
                         $"after the HSET (HSET + PUBLISH took {published.TotalMilliseconds:F0} ms); one refused request then took {request.Elapsed.TotalMilliseconds:F0} ms");
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(http, "chat", "sb-issued-secret")).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(http, "chat")).Status);

        await _redis.StopAsync();
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(http, "chat", "sb-issued-secret")).Status);
        await _redis.StartAsync();

        // Redis came back empty (no persistence): the revocation is published again by Router.Worker.
        await using var mux2 = await ConnectionMultiplexer.ConnectAsync(_redis.ConnectionString);
        db = mux2.GetDatabase();
        await PublishAsync(revoked: true);
        // Within the client's reconnect back-off, then the reconnect refresh or the 10 s poll.
        await EventuallyAsync(async () => (await SendAsync(http, "chat", "sb-issued-secret")).Status == HttpStatusCode.Unauthorized, TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task A_refused_credential_is_reported_to_Router_Worker()
    {
        var doc = new RoutingJson();
        var refusing = await sim.NewProviderAsync("openai", new { failureRate = 1.0, failureStatus = 403 });
        var backup = await sim.NewProviderAsync("openai");
        doc.Provider(refusing, "openai", sim.ProviderBaseUrl(refusing, "openai"), "sim-key")
            .Provider(backup, "openai", sim.ProviderBaseUrl(backup, "openai"), "sim-key")
            .Route("chat", [(refusing, Model), (backup, Model)]);
        await using var mux = await ConnectionMultiplexer.ConnectAsync(_redis.ConnectionString);
        var reports = new List<CredentialReport>();
        await mux.GetSubscriber().SubscribeAsync(RedisChannel.Literal(RedisKeys.CredentialReportsChannel), (_, m) =>
        {
            lock (reports)
            {
                reports.Add(JsonSerializer.Deserialize((string)m!, ContractJson.Default.CredentialReport)!);
            }
        });
        using var gateway = new GatewayFactory(doc.ToString(), WithRedis());
        var http = gateway.Http();
        // The first request may run before the gateway's Redis connection is up; the report needs it.
        await EventuallyAsync(async () =>
        {
            var r = await SendAsync(http, "chat");
            Assert.Equal(HttpStatusCode.OK, r.Status);
            await Task.Delay(100);
            lock (reports)
            {
                return reports.Count > 0;
            }
        }, TimeSpan.FromSeconds(90));
        lock (reports)
        {
            Assert.Equal(refusing, reports[0].Provider);
            Assert.Equal(403, reports[0].Status);
        }
    }

    [Fact]
    public async Task With_Redis_stopped_mid_run_the_gateway_keeps_serving_and_the_budget_falls_back_then_reconciles()
    {
        var (_, doc) = await RouteAsync();
        doc.Price(Model, 500m, 1500m);
        var json = new Doc(doc).Key("ops", "sb-ops-key", budgetUsd: 5m, requestsPerMinute: 1000).ToString();
        using var gateway = new GatewayFactory(json, WithRedis());
        var http = gateway.Http();
        await EventuallyAsync(async () =>
        {
            Assert.Equal(HttpStatusCode.OK, (await SendAsync(http, "chat", "sb-ops-key")).Status);
            return await SpentNanoAsync("ops") > 0;
        }, TimeSpan.FromSeconds(30));
        var before = await SpentNanoAsync("ops");

        await _redis.StopAsync();
        var during = DateTime.UtcNow;
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await SendAsync(http, "chat", "sb-ops-key")).Status);
        }
        Assert.True(DateTime.UtcNow - during < TimeSpan.FromSeconds(10));

        await _redis.StartAsync();
        // The 5 requests' spend (about 0.02 USD each) lands in the shared ledger, on top of what was there.
        await EventuallyAsync(async () =>
        {
            try
            {
                return await SpentNanoAsync("ops") >= before + (5 * 10_000_000);
            }
            catch (RedisConnectionException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(20));
    }
}
