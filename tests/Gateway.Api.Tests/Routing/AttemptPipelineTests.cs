using System.ClientModel;
using System.ClientModel.Primitives;
using OpenAI.Chat;
using Switchboard.Contracts.Outcomes;
using Switchboard.Gateway.Tests.Infrastructure;
using Switchboard.Testing;

namespace Switchboard.Gateway.Tests.Routing;

/// <summary>The attempt pipeline over real HTTP against the simulator: fallback, hedging, timeouts, stream breaks.</summary>
[Collection(SimulatorCollection.Name)]
public sealed class AttemptPipelineTests(SimulatorFixture sim)
{
    private const string Model = "gpt-4o-2024-08-06";
    private readonly CapturingOutcomeSink _outcomes = new();

    private GatewayFactory Gateway(RoutingJson doc) => new(doc.ToString(), services: _outcomes.Install);

    private static string Header(PipelineResponse r, string name) => r.Headers.TryGetValue(name, out var v) ? v! : "";

    private async Task<(string Name, RoutingJson Doc)> Provider(RoutingJson doc, object? profile = null)
    {
        var name = await sim.NewProviderAsync("openai", profile);
        doc.Provider(name, "openai", sim.ProviderBaseUrl(name, "openai"), "sim-key");
        return (name, doc);
    }

    [Fact]
    public async Task A_5xx_moves_to_the_next_target_at_once()
    {
        var doc = new RoutingJson();
        var (down, _) = await Provider(doc, new { failureRate = 1.0, failureStatus = 503 });
        var (ok, _) = await Provider(doc);
        doc.Route("chat", [(down, Model), (ok, Model)]);
        using var gateway = Gateway(doc);
        var result = await gateway.Chat("chat").CompleteChatAsync([new UserChatMessage("hi")]);
        var raw = result.GetRawResponse();
        Assert.Equal(ok, Header(raw, "x-switchboard-provider"));
        Assert.Equal("2", Header(raw, "x-switchboard-attempts"));
        var events = await _outcomes.ForRequestAsync(Header(raw, "x-request-id"), 2);
        Assert.Equal(2, events.Count);
        Assert.Equal(AttemptOutcome.Failure, events[0].Outcome);
        Assert.Equal(ErrorClass.ServerError, events[0].Error);
        Assert.Equal(503, events[0].Status);
        Assert.Equal(AttemptOutcome.Success, events[1].Outcome);
        Assert.Equal(AttemptKind.Retry, events[1].Kind);
        Assert.True(events[1].Winner);
        Assert.All(events, e => Assert.Equal(200, e.ClientStatus));
        Assert.True(events[1].InputTokens > 0 && events[1].OutputTokens > 0 && events[1].CostUsd > 0);
    }

    [Fact]
    public async Task A_refused_connection_moves_to_the_next_target()
    {
        var doc = new RoutingJson();
        doc.Provider("closed", "openai", $"http://127.0.0.1:{FreePort.Next()}/v1");
        var (ok, _) = await Provider(doc);
        doc.Route("chat", [("closed", Model), (ok, Model)]);
        using var gateway = Gateway(doc);
        var raw = (await gateway.Chat("chat").CompleteChatAsync([new UserChatMessage("hi")])).GetRawResponse();
        Assert.Equal(ok, Header(raw, "x-switchboard-provider"));
        var events = await _outcomes.ForRequestAsync(Header(raw, "x-request-id"), 2);
        Assert.Equal(ErrorClass.Connect, events[0].Error);
        Assert.Equal(0, events[0].Status);
    }

    [Fact]
    public async Task A_malformed_answer_moves_to_the_next_target()
    {
        var doc = new RoutingJson();
        var (bad, _) = await Provider(doc, new { malformed = 1.0 });
        var (ok, _) = await Provider(doc);
        doc.Route("chat", [(bad, Model), (ok, Model)]);
        using var gateway = Gateway(doc);
        var raw = (await gateway.Chat("chat").CompleteChatAsync([new UserChatMessage("hi")])).GetRawResponse();
        Assert.Equal(ok, Header(raw, "x-switchboard-provider"));
        var events = await _outcomes.ForRequestAsync(Header(raw, "x-request-id"), 2);
        Assert.Equal(ErrorClass.Malformed, events[0].Error);
    }

    [Fact]
    public async Task A_single_failing_target_is_retried_up_to_max_attempts()
    {
        var doc = new RoutingJson();
        var (down, _) = await Provider(doc, new { failureRate = 1.0, failureStatus = 529 });
        doc.Route("chat", [(down, Model)], maxAttempts: 3);
        using var gateway = new GatewayFactory(doc.ToString(), new() { ["Switchboard:Gateway:RetryBaseDelayMs"] = "10" }, _outcomes.Install);
        var ex = await Assert.ThrowsAsync<ClientResultException>(() => gateway.Chat("chat").CompleteChatAsync([new UserChatMessage("hi")]));
        Assert.Equal(502, ex.Status);
        Assert.Equal(3, (await sim.StatsAsync(down)).Requests);
        var events = await _outcomes.ForRequestAsync(Header(ex.GetRawResponse()!, "x-request-id"), 3);
        Assert.Equal([AttemptKind.Primary, AttemptKind.Retry, AttemptKind.Retry], events.Select(e => e.Kind));
        Assert.All(events, e => Assert.Equal(502, e.ClientStatus));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_slow_first_token_starts_a_hedge_and_the_loser_is_cancelled(bool stream)
    {
        var doc = new RoutingJson();
        var (slow, _) = await Provider(doc, new { ttftMs = new { p50 = 4000, p99 = 4001 } });
        var (fast, _) = await Provider(doc);
        doc.Route("chat", [(slow, Model), (fast, Model)], firstTokenTimeoutMs: 150);
        using var gateway = Gateway(doc);
        string provider, hedged, attempts, requestId;
        if (stream)
        {
            using var http = gateway.Http();
            using var response = await http.PostAsync("/v1/chat/completions", new StringContent(
                """{"model":"chat","stream":true,"messages":[{"role":"user","content":"hi"}]}""", System.Text.Encoding.UTF8, "application/json"));
            var body = await response.Content.ReadAsStringAsync();
            Assert.Contains("\"content\"", body, StringComparison.Ordinal);
            Assert.EndsWith("data: [DONE]\n\n", body, StringComparison.Ordinal);
            string H(string n) => response.Headers.TryGetValues(n, out var v) ? v.First() : "";
            (provider, hedged, attempts, requestId) = (H("x-switchboard-provider"), H("x-switchboard-hedged"), H("x-switchboard-attempts"), H("x-request-id"));
        }
        else
        {
            var raw = (await gateway.Chat("chat").CompleteChatAsync([new UserChatMessage("hi")])).GetRawResponse();
            (provider, hedged, attempts, requestId) = (Header(raw, "x-switchboard-provider"), Header(raw, "x-switchboard-hedged"), Header(raw, "x-switchboard-attempts"), Header(raw, "x-request-id"));
        }
        Assert.Equal(fast, provider);
        Assert.Equal("true", hedged);
        Assert.Equal("2", attempts);

        var events = await _outcomes.ForRequestAsync(requestId, 2);
        var loser = Assert.Single(events, e => e.Provider == slow);
        Assert.Equal(AttemptOutcome.Cancelled, loser.Outcome);
        Assert.False(loser.Winner);
        var winner = Assert.Single(events, e => e.Provider == fast);
        Assert.Equal(AttemptKind.Hedge, winner.Kind);
        Assert.True(winner.Winner);
        Assert.True(loser.InputTokens > 0, "the loser's prompt is still accounted");
        Assert.True(loser.TokensEstimated);

        // The loser's upstream request was aborted, as the simulator saw it.
        var deadline = DateTime.UtcNow.AddSeconds(5);
        SimStats stats;
        while ((stats = await sim.StatsAsync(slow)).Cancelled < 1 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }
        Assert.Equal(1, stats.Cancelled);
    }

    [Fact]
    public async Task A_stream_that_breaks_after_it_started_raises_in_the_sdk()
    {
        var doc = new RoutingJson();
        var (broken, _) = await Provider(doc, new { midStreamDisconnect = 1.0, disconnectAfterChunks = 6, outputTokens = 30, tokensPerSecond = 200 });
        doc.Route("chat", [(broken, Model)]);
        using var gateway = Gateway(doc);
        var received = 0;
        var ex = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await foreach (var u in gateway.Chat("chat").CompleteChatStreamingAsync([new UserChatMessage("hi")]))
            {
                received += u.ContentUpdate.Count;
            }
        });
        Assert.IsNotType<Xunit.Sdk.XunitException>(ex);
        Assert.True(received > 0, $"the client had received content before the break ({ex.GetType().Name}: {ex.Message})");
    }

    [Fact]
    public async Task A_broken_stream_ends_with_an_error_event_and_no_done()
    {
        var doc = new RoutingJson();
        var (broken, _) = await Provider(doc, new { midStreamDisconnect = 1.0, disconnectAfterChunks = 6, outputTokens = 30, tokensPerSecond = 200 });
        doc.Route("chat", [(broken, Model)]);
        using var gateway = Gateway(doc);
        using var http = gateway.Http();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent("""{"model":"chat","stream":true,"messages":[{"role":"user","content":"hi"}]}""", System.Text.Encoding.UTF8, "application/json"),
        };
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var body = new System.Text.StringBuilder();
        using (var reader = new StreamReader(await response.Content.ReadAsStreamAsync()))
        {
            try
            {
                string? line;
                while ((line = await reader.ReadLineAsync()) is not null)
                {
                    body.AppendLine(line);
                }
            }
            catch (Exception e) when (e is IOException or HttpRequestException)
            {
                // The gateway aborts the connection after the error event: expected.
            }
        }
        var text = body.ToString();
        Assert.Contains("\"error\"", text, StringComparison.Ordinal);
        Assert.DoesNotContain("[DONE]", text, StringComparison.Ordinal);
        var events = await _outcomes.ForRequestAsync(Header(response), 1);
        Assert.Equal(AttemptOutcome.Failure, events[0].Outcome);
        Assert.Equal(ErrorClass.StreamBreak, events[0].Error);

        static string Header(HttpResponseMessage r) => r.Headers.GetValues("x-request-id").First();
    }

    [Fact]
    public async Task A_reported_model_other_than_the_pinned_one_is_flagged_as_drift()
    {
        var doc = new RoutingJson();
        var (drifting, _) = await Provider(doc, new { reportModel = "gpt-4o-2024-11-20" });
        doc.Route("chat", [(drifting, Model)]);
        using var gateway = Gateway(doc);
        var raw = (await gateway.Chat("chat").CompleteChatAsync([new UserChatMessage("hi")])).GetRawResponse();
        var e = Assert.Single(await _outcomes.ForRequestAsync(Header(raw, "x-request-id"), 1));
        Assert.True(e.Drift);
        Assert.Equal("gpt-4o-2024-11-20", e.ModelReported);
        Assert.Equal(Model, e.Model);
    }
}
