using System.Net;
using System.Text.Json;
using OpenAI.Chat;
using StackExchange.Redis;
using Switchboard.Contracts.Health;
using Switchboard.Contracts.Outcomes;
using Switchboard.Contracts.Redis;
using Switchboard.Gateway.Tests.Infrastructure;
using Switchboard.Testing;

namespace Switchboard.Gateway.Tests.Outcomes;

/// <summary>With Redis: outcome events reach the stream, the health snapshot is applied, and Redis going away fails nothing.</summary>
[Collection(SimulatorCollection.Name)]
public sealed class RedisOutcomesTests(SimulatorFixture sim) : IAsyncLifetime
{
    private readonly RedisServer _redis = new();

    public Task InitializeAsync() => _redis.InitializeAsync();

    public Task DisposeAsync() => _redis.DisposeAsync();

    private async Task<GatewayFactory> GatewayAsync(params (string Name, string Route)[] providers)
    {
        var doc = new RoutingJson();
        foreach (var (name, route) in providers)
        {
            doc.Provider(name, "openai", sim.ProviderBaseUrl(name, "openai"), "k").Route(route, [(name, "gpt-4o-2024-08-06")]);
        }
        await Task.CompletedTask;
        return new GatewayFactory(doc.ToString(), new() { ["ConnectionStrings:redis"] = _redis.ConnectionString });
    }

    [Fact]
    public async Task Each_attempt_is_added_to_the_outcomes_stream_as_contract_json()
    {
        var name = await sim.NewProviderAsync("openai");
        using var gateway = await GatewayAsync((name, "chat"));
        var raw = (await gateway.Chat("chat").CompleteChatAsync([new UserChatMessage("hi")])).GetRawResponse();
        var requestId = raw.Headers.TryGetValue("x-request-id", out var id) ? id : null;

        await using var mux = await ConnectionMultiplexer.ConnectAsync(_redis.ConnectionString);
        var db = mux.GetDatabase();
        OutcomeEvent? found = null;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (found is null && DateTime.UtcNow < deadline)
        {
            foreach (var entry in await db.StreamRangeAsync(RedisKeys.OutcomesStream))
            {
                var e = JsonSerializer.Deserialize((string)entry[RedisKeys.OutcomeField]!, ContractJson.Default.OutcomeEvent)!;
                if (e.RequestId == requestId)
                {
                    found = e;
                }
            }
            await Task.Delay(50);
        }
        Assert.NotNull(found);
        Assert.Equal(name, found!.Provider);
        Assert.Equal(AttemptOutcome.Success, found.Outcome);
        Assert.True(found.Winner);
        Assert.Equal(200, found.ClientStatus);
        Assert.True(found.OutputTokens > 0);
        Assert.True(found.CostUsd > 0);
        Assert.NotNull(found.TtftMs);
    }

    [Fact]
    public async Task Events_still_buffered_when_the_gateway_stops_are_written_before_it_exits()
    {
        var name = await sim.NewProviderAsync("openai");
        var doc = new RoutingJson().Provider(name, "openai", sim.ProviderBaseUrl(name, "openai"), "k").Route("chat", [(name, "gpt-4o-2024-08-06")]);
        var ids = new List<string>();
        // A batch window far longer than the test: every event is still buffered when the host stops.
        using (var gateway = new GatewayFactory(doc.ToString(), new()
        {
            ["ConnectionStrings:redis"] = _redis.ConnectionString,
            ["Switchboard:Gateway:OutcomeFlushDelayMs"] = "600000",
        }))
        {
            var chat = gateway.Chat("chat");
            for (var i = 0; i < 3; i++)
            {
                var raw = (await chat.CompleteChatAsync([new UserChatMessage("hi")])).GetRawResponse();
                ids.Add(raw.Headers.TryGetValue("x-request-id", out var id) ? id! : "");
            }
            await using var probe = await ConnectionMultiplexer.ConnectAsync(_redis.ConnectionString);
            Assert.Equal(0, await probe.GetDatabase().StreamLengthAsync(RedisKeys.OutcomesStream));
        }

        await using var mux = await ConnectionMultiplexer.ConnectAsync(_redis.ConnectionString);
        var written = (await mux.GetDatabase().StreamRangeAsync(RedisKeys.OutcomesStream))
            .Select(entry => JsonSerializer.Deserialize((string)entry[RedisKeys.OutcomeField]!, ContractJson.Default.OutcomeEvent)!.RequestId)
            .ToList();
        Assert.Equal(ids, written);
    }

    [Fact]
    public async Task A_deployment_the_snapshot_marks_down_is_skipped()
    {
        var down = await sim.NewProviderAsync("openai");
        var ok = await sim.NewProviderAsync("openai");
        await using (var mux = await ConnectionMultiplexer.ConnectAsync(_redis.ConnectionString))
        {
            var snapshot = new HealthSnapshot
            {
                Version = 1,
                UpdatedAt = DateTimeOffset.UtcNow,
                Deployments = [new DeploymentHealth { Provider = down, Model = "gpt-4o-2024-08-06", State = HealthState.Down, Circuit = CircuitState.Open, UpdatedAt = DateTimeOffset.UtcNow }],
            };
            await mux.GetDatabase().StringSetAsync(RedisKeys.HealthSnapshot, JsonSerializer.Serialize(snapshot, ContractJson.Default.HealthSnapshot));
        }
        var doc = new RoutingJson()
            .Provider(down, "openai", sim.ProviderBaseUrl(down, "openai"), "k")
            .Provider(ok, "openai", sim.ProviderBaseUrl(ok, "openai"), "k")
            .Route("chat", [(down, "gpt-4o-2024-08-06"), (ok, "gpt-4o-2024-08-06")]);
        using var gateway = new GatewayFactory(doc.ToString(), new() { ["ConnectionStrings:redis"] = _redis.ConnectionString });
        using var http = gateway.Http();
        // The snapshot is read in the background at start: wait until routing avoids the down deployment.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        string? provider = null;
        while (DateTime.UtcNow < deadline)
        {
            using var r = await http.PostAsync("/v1/chat/completions", new StringContent("""{"model":"chat","messages":[{"role":"user","content":"hi"}]}""", System.Text.Encoding.UTF8, "application/json"));
            provider = r.Headers.GetValues("x-switchboard-provider").First();
            if (provider == ok)
            {
                break;
            }
            await Task.Delay(100);
        }
        Assert.Equal(ok, provider);
    }

    [Fact]
    public async Task Requests_and_health_keep_working_while_redis_is_down()
    {
        var name = await sim.NewProviderAsync("openai");
        using var gateway = await GatewayAsync((name, "chat"));
        using var http = gateway.Http();
        await _redis.StopAsync();
        for (var i = 0; i < 3; i++)
        {
            using var r = await http.PostAsync("/v1/chat/completions", new StringContent("""{"model":"chat","messages":[{"role":"user","content":"hi"}]}""", System.Text.Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        }
        using var health = await http.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }
}
