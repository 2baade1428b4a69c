using System.ClientModel.Primitives;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using OpenAI.Chat;
using Switchboard.Contracts.Outcomes;
using Switchboard.Gateway.Tests.Infrastructure;

namespace Switchboard.Gateway.Tests.Cascades;

/// <summary>
/// Cascade routes over real HTTP against the simulator's labelled mode (the prompt carries the item and its right
/// label; each profile answers it with its accuracy and calibrated log probabilities), the OpenAI SDK as client.
/// </summary>
[Collection(SimulatorCollection.Name)]
public sealed class CascadeTests(SimulatorFixture sim)
{
    private const string Cheap = "gpt-4o-mini-2024-07-18";
    private const string Expensive = "gpt-4o-2024-08-06";
    private readonly CapturingOutcomeSink _outcomes = new();

    private static string Prompt(string item, string labels = "positive,negative", string answer = "positive") =>
        $"Classify the sentiment of review {item}. Answer with one label. [[sim-label item={item} labels={labels} answer={answer}]]";

    private static string Header(PipelineResponse r, string name) => r.Headers.TryGetValue(name, out var v) ? v! : "";

    private sealed record Setup(GatewayFactory Gateway, string CheapName, string ExpensiveName, string? JudgeName);

    private async Task<Setup> CascadeAsync(object cheapProfile, string scorer, double minConfidence, string cheapType = "openai",
        string[]? allowedAnswers = null, bool judge = false, bool? cascadeStreaming = null)
    {
        var cheap = await sim.NewProviderAsync(cheapType, cheapProfile);
        var expensive = await sim.NewProviderAsync("openai", new { accuracy = 1.0, seed = 7 });
        var doc = new RoutingJson()
            .Provider(cheap, cheapType, sim.ProviderBaseUrl(cheap, cheapType), "sim-key")
            .Provider(expensive, "openai", sim.ProviderBaseUrl(expensive, "openai"), "sim-key")
            .Route("cascade", [(cheap, cheapType == "openai" ? Cheap : "claude-3-5-haiku-20241022"), (expensive, Expensive)], maxAttempts: 1, strategy: "cascade");
        string? judgeName = null;
        if (judge)
        {
            judgeName = await sim.NewProviderAsync("openai", new { accuracy = 1.0, seed = 11 });
            doc.Provider(judgeName, "openai", sim.ProviderBaseUrl(judgeName, "openai"), "sim-key").Route("judge", [(judgeName, Expensive)], maxAttempts: 1);
        }
        var json = JsonNode.Parse(doc.ToString())!;
        var route = json["routes"]!["cascade"]!;
        route["scorer"] = scorer;
        route["minConfidence"] = minConfidence;
        if (allowedAnswers is not null)
        {
            route["allowedAnswers"] = new JsonArray([.. allowedAnswers.Select(a => (JsonNode)a)]);
        }
        if (judge)
        {
            route["judgeRoute"] = "judge";
        }
        if (cascadeStreaming is { } streaming)
        {
            route["cascadeStreaming"] = streaming;
        }
        // A task on this route that asks for more confidence than the simulator ever reports (0.99 at most).
        json["tasks"] = new JsonObject { ["strict"] = new JsonObject { ["route"] = "cascade", ["minConfidence"] = 0.995 } };
        return new(new GatewayFactory(json.ToJsonString(), services: _outcomes.Install), cheap, expensive, judgeName);
    }

    [Fact]
    public async Task A_confident_cheap_answer_is_returned_without_calling_the_expensive_tier()
    {
        var s = await CascadeAsync(new { accuracy = 1.0 }, "logprobs", 0.5);
        using var gateway = s.Gateway;
        var result = await gateway.Chat("cascade").CompleteChatAsync([new UserChatMessage(Prompt("r1"))]);
        var raw = result.GetRawResponse();

        Assert.Equal("positive", result.Value.Content[0].Text);
        Assert.Equal("0", Header(raw, "x-switchboard-tier"));
        Assert.Equal(s.CheapName, Header(raw, "x-switchboard-provider"));
        Assert.InRange(double.Parse(Header(raw, "x-switchboard-confidence"), System.Globalization.CultureInfo.InvariantCulture), 0.5, 1.0);
        // The gateway asked for logprobs to score; the client did not, so none reach it.
        Assert.Empty(result.Value.ContentTokenLogProbabilities);
        Assert.Equal(0, (await sim.StatsAsync(s.ExpensiveName)).Requests);
        Assert.Equal(1, (await sim.StatsAsync(s.CheapName)).Requests);

        var events = await _outcomes.ForRequestAsync(Header(raw, "x-request-id"), 1);
        var e = Assert.Single(events);
        Assert.Equal(0, e.Tier);
        Assert.True(e.Winner);
        Assert.Equal(AttemptKind.Primary, e.Kind);
        Assert.NotNull(e.Confidence);
        Assert.Equal("cascade", e.Route);
    }

    [Fact]
    public async Task A_low_confidence_cheap_answer_is_escalated_and_recorded_as_an_escalation()
    {
        // accuracy 0: the cheap tier always answers the wrong label, with probability at most 0.84.
        var s = await CascadeAsync(new { accuracy = 0.0 }, "logprobs", 0.9);
        using var gateway = s.Gateway;
        var result = await gateway.Chat("cascade").CompleteChatAsync([new UserChatMessage(Prompt("r2"))]);
        var raw = result.GetRawResponse();

        Assert.Equal("positive", result.Value.Content[0].Text);
        Assert.Equal("1", Header(raw, "x-switchboard-tier"));
        Assert.Equal(s.ExpensiveName, Header(raw, "x-switchboard-provider"));
        Assert.Equal("2", Header(raw, "x-switchboard-attempts"));
        Assert.Equal(1, (await sim.StatsAsync(s.CheapName)).Requests);
        Assert.Equal(1, (await sim.StatsAsync(s.ExpensiveName)).Requests);

        var events = await _outcomes.ForRequestAsync(Header(raw, "x-request-id"), 2);
        Assert.Equal(2, events.Count);
        Assert.Equal((0, AttemptKind.Primary, AttemptOutcome.Success, false), (events[0].Tier!.Value, events[0].Kind, events[0].Outcome, events[0].Winner));
        Assert.True(events[0].Confidence < 0.9);
        Assert.Equal((1, AttemptKind.Escalation, true), (events[1].Tier!.Value, events[1].Kind, events[1].Winner));
        Assert.All(events, e => Assert.True(e.CostUsd > 0));
        // The client pays for both tiers.
        var header = decimal.Parse(Header(raw, "x-switchboard-cost-usd"), System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(events.Sum(e => e.CostUsd), header);
    }

    [Fact]
    public async Task Logprobs_the_client_asked_for_are_kept()
    {
        var s = await CascadeAsync(new { accuracy = 1.0 }, "logprobs", 0.5);
        using var gateway = s.Gateway;
        var result = await gateway.Chat("cascade").CompleteChatAsync([new UserChatMessage(Prompt("r3"))], new ChatCompletionOptions { IncludeLogProbabilities = true });
        var token = Assert.Single(result.Value.ContentTokenLogProbabilities);
        Assert.Equal("positive", token.Token);
        Assert.Equal(Math.Exp(token.LogProbability), double.Parse(Header(result.GetRawResponse(), "x-switchboard-confidence"), System.Globalization.CultureInfo.InvariantCulture), 3);
    }

    [Fact]
    public async Task A_tier_without_logprobs_scores_zero_and_escalates()
    {
        var s = await CascadeAsync(new { accuracy = 1.0 }, "logprobs", 0.5, cheapType: "anthropic");
        using var gateway = s.Gateway;
        var result = await gateway.Chat("cascade").CompleteChatAsync([new UserChatMessage(Prompt("r4"))]);
        var raw = result.GetRawResponse();
        Assert.Equal("1", Header(raw, "x-switchboard-tier"));
        var events = await _outcomes.ForRequestAsync(Header(raw, "x-request-id"), 2);
        Assert.Equal(0.0, events[0].Confidence);
    }

    [Fact]
    public async Task A_task_overrides_the_routes_min_confidence()
    {
        var s = await CascadeAsync(new { accuracy = 1.0 }, "logprobs", 0.5);
        using var gateway = s.Gateway;
        using var http = gateway.Http();
        async Task<string> TierAsync(string? task)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
            {
                Content = JsonContent.Create(new { model = "cascade", messages = new[] { new { role = "user", content = Prompt("r11") } } }),
            };
            if (task is not null)
            {
                request.Headers.Add("x-switchboard-task", task);
            }
            using var response = await http.SendAsync(request);
            response.EnsureSuccessStatusCode();
            return response.Headers.GetValues("x-switchboard-tier").Single();
        }

        Assert.Equal("0", await TierAsync(null));
        Assert.Equal("1", await TierAsync("strict"));
    }

    [Fact]
    public async Task A_failing_cheap_tier_escalates()
    {
        var s = await CascadeAsync(new { failureRate = 1.0, failureStatus = 503 }, "logprobs", 0.5);
        using var gateway = s.Gateway;
        var result = await gateway.Chat("cascade").CompleteChatAsync([new UserChatMessage(Prompt("r5"))]);
        var raw = result.GetRawResponse();
        Assert.Equal("1", Header(raw, "x-switchboard-tier"));
        var events = await _outcomes.ForRequestAsync(Header(raw, "x-request-id"), 2);
        Assert.Equal(AttemptOutcome.Failure, events[0].Outcome);
        Assert.Equal(AttemptKind.Escalation, events[1].Kind);
    }

    [Fact]
    public async Task Schema_scorer_accepts_an_answer_that_validates_against_the_requested_json_schema()
    {
        var s = await CascadeAsync(new { accuracy = 1.0 }, "schema", 0.5);
        using var gateway = s.Gateway;
        var schema = BinaryData.FromString("""{"type":"object","properties":{"label":{"type":"string","enum":["positive","negative"]},"score":{"type":"number"}},"required":["label","score"],"additionalProperties":false}""");
        var result = await gateway.Chat("cascade").CompleteChatAsync([new UserChatMessage("Rate this review.")],
            new ChatCompletionOptions { ResponseFormat = ChatResponseFormat.CreateJsonSchemaFormat("rating", schema, jsonSchemaIsStrict: true) });
        var raw = result.GetRawResponse();
        Assert.Equal("0", Header(raw, "x-switchboard-tier"));
        Assert.Equal("1", Header(raw, "x-switchboard-confidence"));
        using var answer = JsonDocument.Parse(result.Value.Content[0].Text);
        Assert.Contains(answer.RootElement.GetProperty("label").GetString(), new[] { "positive", "negative" });
        Assert.Equal(0, (await sim.StatsAsync(s.ExpensiveName)).Requests);
    }

    [Fact]
    public async Task Schema_scorer_escalates_an_answer_outside_the_allowed_answers()
    {
        // The cheap tier answers "neutral" (its only wrong label), which the route does not allow.
        var s = await CascadeAsync(new { accuracy = 0.0 }, "schema", 0.5, allowedAnswers: ["positive", "negative"]);
        using var gateway = s.Gateway;
        var result = await gateway.Chat("cascade").CompleteChatAsync([new UserChatMessage(Prompt("r6", "positive,neutral"))]);
        var raw = result.GetRawResponse();
        Assert.Equal("1", Header(raw, "x-switchboard-tier"));
        Assert.Equal("positive", result.Value.Content[0].Text);
        var events = await _outcomes.ForRequestAsync(Header(raw, "x-request-id"), 2);
        Assert.Equal(0.0, events[0].Confidence);
    }

    [Theory]
    [InlineData(1.0, "0")]
    [InlineData(0.0, "1")]
    public async Task Judge_scorer_returns_what_the_judge_accepts_and_escalates_what_it_rejects(double cheapAccuracy, string tier)
    {
        var s = await CascadeAsync(new { accuracy = cheapAccuracy }, "judge", 0.5, judge: true);
        using var gateway = s.Gateway;
        var result = await gateway.Chat("cascade").CompleteChatAsync([new UserChatMessage(Prompt("r7"))]);
        var raw = result.GetRawResponse();
        Assert.Equal(tier, Header(raw, "x-switchboard-tier"));
        Assert.Equal("positive", result.Value.Content[0].Text);
        Assert.Equal(1, (await sim.StatsAsync(s.JudgeName!)).Requests);
        Assert.Equal(tier == "0" ? 0 : 1, (await sim.StatsAsync(s.ExpensiveName)).Requests);
        var events = await _outcomes.ForRequestAsync(Header(raw, "x-request-id"), tier == "0" ? 2 : 3);
        // The judge's attempt is accounted with the tier it judged.
        Assert.Equal(s.JudgeName, events[1].Provider);
        Assert.Equal(0, events[1].Tier);
        Assert.True(tier == "0" ? events[0].Confidence >= 0.5 : events[0].Confidence < 0.5);
    }

    [Fact]
    public async Task Agreement_scorer_returns_an_answer_two_samples_agree_on()
    {
        var s = await CascadeAsync(new { accuracy = 1.0 }, "agreement", 0.5);
        using var gateway = s.Gateway;
        var result = await gateway.Chat("cascade").CompleteChatAsync([new UserChatMessage(Prompt("r8"))]);
        Assert.Equal("0", Header(result.GetRawResponse(), "x-switchboard-tier"));
        Assert.Equal(2, (await sim.StatsAsync(s.CheapName)).Requests);
        Assert.Equal(0, (await sim.StatsAsync(s.ExpensiveName)).Requests);
    }

    [Fact]
    public async Task Agreement_scorer_escalates_when_the_samples_disagree()
    {
        // accuracy 0 over ten labels: each sample picks one of nine wrong labels; these items' two samples differ.
        var s = await CascadeAsync(new { accuracy = 0.0 }, "agreement", 0.5);
        using var gateway = s.Gateway;
        var chat = gateway.Chat("cascade");
        var tiers = new List<string>();
        foreach (var item in new[] { "a1", "a2", "a3" })
        {
            var result = await chat.CompleteChatAsync([new UserChatMessage(Prompt(item, "l0,l1,l2,l3,l4,l5,l6,l7,l8,l9", "l0"))]);
            tiers.Add(Header(result.GetRawResponse(), "x-switchboard-tier"));
        }
        Assert.True(tiers.Count(t => t == "1") >= 2, string.Join(",", tiers));
        Assert.Equal(tiers.Count(t => t == "1"), (await sim.StatsAsync(s.ExpensiveName)).Requests);
    }

    [Fact]
    public async Task A_stream_is_held_until_scored_then_replayed()
    {
        var s = await CascadeAsync(new { accuracy = 1.0 }, "logprobs", 0.5);
        using var gateway = s.Gateway;
        var text = new StringBuilder();
        ChatTokenUsage? usage = null;
        ChatFinishReason? finish = null;
        await foreach (var update in gateway.Chat("cascade").CompleteChatStreamingAsync([new UserChatMessage(Prompt("r9"))]))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }
            usage ??= update.Usage;
            finish ??= update.FinishReason;
        }
        Assert.Equal("positive", text.ToString());
        Assert.Equal(ChatFinishReason.Stop, finish);
        Assert.NotNull(usage);
        Assert.Equal(0, (await sim.StatsAsync(s.ExpensiveName)).Requests);
    }

    [Fact]
    public async Task With_cascade_streaming_off_a_stream_goes_straight_to_the_last_tier()
    {
        var s = await CascadeAsync(new { accuracy = 1.0 }, "logprobs", 0.5, cascadeStreaming: false);
        using var gateway = s.Gateway;
        using var http = gateway.Http();
        using var response = await http.PostAsJsonAsync("/v1/chat/completions", new
        {
            model = "cascade",
            stream = true,
            messages = new[] { new { role = "user", content = Prompt("r10") } },
        });
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("1", response.Headers.GetValues("x-switchboard-tier").Single());
        Assert.Contains("data: [DONE]", body, StringComparison.Ordinal);
        Assert.Equal(0, (await sim.StatsAsync(s.CheapName)).Requests);
    }
}
