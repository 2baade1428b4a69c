using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Switchboard.Simulator.Tests.Infrastructure;

namespace Switchboard.Simulator.Tests.Behaviour;

[Collection(SimulatorCollection.Name)]
public sealed class FaultTests(SimulatorServer server)
{
    private static HttpRequestMessage Chat(string provider, bool stream = false, IDictionary<string, string>? headers = null, int? topLogprobs = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/{provider}/v1/chat/completions")
        {
            Content = JsonContent.Create(new { model = "gpt-4o", stream, logprobs = topLogprobs is not null, top_logprobs = topLogprobs, messages = new[] { new { role = "user", content = "Classify this." } } }),
        };
        request.Headers.Add("Authorization", "Bearer sk-sim");
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            request.Headers.Add(name, value);
        }

        return request;
    }

    [Fact]
    public async Task A_hanging_provider_never_answers_and_counts_the_abandoned_request_as_cancelled()
    {
        var provider = await server.ProviderAsync("openai", new { hang = true });
        using var giveUp = new CancellationTokenSource();

        var pending = server.Http.SendAsync(Chat(provider), giveUp.Token);
        await server.WaitForStatsAsync(provider, s => s.Requests == 1);
        Assert.False(pending.IsCompleted);
        await giveUp.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending);
        Assert.Equal(new Stats(1, 0, 1, 0), await server.WaitForStatsAsync(provider, s => s.Cancelled == 1));
    }

    [Fact]
    public async Task A_non_streaming_disconnect_leaves_a_truncated_body()
    {
        var provider = await server.ProviderAsync("openai", new { midStreamDisconnect = 1.0 });

        var ex = await Record.ExceptionAsync(async () =>
        {
            using var response = await server.Http.SendAsync(Chat(provider));
            await response.Content.ReadAsStringAsync();
        });

        Assert.NotNull(ex);
        Assert.Equal(new Stats(1, 0, 0, 1), await server.WaitForStatsAsync(provider, s => s.Failed == 1));
    }

    [Fact]
    public async Task Malformed_mode_answers_200_with_a_body_that_is_not_json()
    {
        var provider = await server.ProviderAsync("openai", new { malformed = 1.0 });

        using var response = await server.Http.SendAsync(Chat(provider));
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.ThrowsAny<JsonException>(() => JsonDocument.Parse(body));
        Assert.Equal(new Stats(1, 0, 0, 1), await server.WaitForStatsAsync(provider, s => s.Failed == 1));
    }

    [Fact]
    public async Task Malformed_mode_in_a_stream_sends_an_event_that_is_not_json_and_no_done()
    {
        var provider = await server.ProviderAsync("openai", new { malformed = 1.0, outputTokens = 6 });

        using var response = await server.Http.SendAsync(Chat(provider, stream: true));
        var events = Sse.Parse(await response.Content.ReadAsStringAsync());

        Assert.ThrowsAny<JsonException>(() => JsonDocument.Parse(events[^1].Data));
        Assert.DoesNotContain(events, e => e.Data == "[DONE]");
    }

    [Fact]
    public async Task Failures_follow_the_seed_two_providers_with_the_same_profile_fail_on_the_same_requests()
    {
        var profile = new { failureRate = 0.3, failureStatus = 500, seed = 1234 };
        var a = await server.ProviderAsync("openai", profile);
        var b = await server.ProviderAsync("openai", profile);
        var c = await server.ProviderAsync("openai", new { failureRate = 0.3, failureStatus = 500, seed = 999 });

        async Task<int[]> StatusesAsync(string provider)
        {
            var statuses = new int[60];
            for (var i = 0; i < statuses.Length; i++)
            {
                using var response = await server.Http.SendAsync(Chat(provider));
                statuses[i] = (int)response.StatusCode;
            }

            return statuses;
        }

        var first = await StatusesAsync(a);
        Assert.Equal(first, await StatusesAsync(b));
        Assert.NotEqual(first, await StatusesAsync(c));
        Assert.InRange(first.Count(s => s == 500), 8, 30);
        var stats = await server.StatsAsync(a);
        Assert.Equal(stats.Requests, stats.Completed + stats.Failed + stats.Cancelled);
        Assert.Equal(first.Count(s => s == 500), stats.Failed);
    }

    [Fact]
    public async Task Labelled_mode_answers_the_correct_label_at_the_profiles_accuracy_with_calibrated_confidence()
    {
        var provider = await server.ProviderAsync("openai", new { accuracy = 0.8 });
        var correct = new List<double>();
        var wrong = new List<double>();
        for (var item = 0; item < 200; item++)
        {
            var headers = new Dictionary<string, string> { ["x-sim-item"] = $"item-{item}", ["x-sim-labels"] = "positive,negative,neutral", ["x-sim-answer"] = "positive" };
            using var response = await server.Http.SendAsync(Chat(provider, headers: headers, topLogprobs: 3));
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            var choice = json.RootElement.GetProperty("choices")[0];
            var label = choice.GetProperty("message").GetProperty("content").GetString();
            var token = choice.GetProperty("logprobs").GetProperty("content")[0];
            Assert.Equal(label, token.GetProperty("token").GetString());
            Assert.Equal(3, token.GetProperty("top_logprobs").GetArrayLength());
            Assert.Contains(label, new[] { "positive", "negative", "neutral" });
            (label == "positive" ? correct : wrong).Add(Math.Exp(token.GetProperty("logprob").GetDouble()));
        }

        Assert.InRange(correct.Count / 200.0, 0.72, 0.88);
        Assert.True(correct.Average() > wrong.Average() + 0.2, $"confidence right {correct.Average():F2} vs wrong {wrong.Average():F2}");
        // Confident answers tend to be right.
        var confident = correct.Count(p => p > 0.85) + wrong.Count(p => p > 0.85);
        Assert.True(correct.Count(p => p > 0.85) >= 0.9 * confident);
    }

    [Fact]
    public async Task Labelled_mode_is_deterministic_per_item()
    {
        var provider = await server.ProviderAsync("openai", new { accuracy = 0.5 });
        var headers = new Dictionary<string, string> { ["x-sim-item"] = "same-item", ["x-sim-labels"] = "a,b", ["x-sim-answer"] = "a" };

        async Task<string> AnswerAsync()
        {
            using var response = await server.Http.SendAsync(Chat(provider, headers: headers, topLogprobs: 1));
            return await response.Content.ReadAsStringAsync();
        }

        var first = JsonDocument.Parse(await AnswerAsync()).RootElement.GetProperty("choices")[0].GetProperty("logprobs").GetRawText();
        var second = JsonDocument.Parse(await AnswerAsync()).RootElement.GetProperty("choices")[0].GetProperty("logprobs").GetRawText();
        Assert.Equal(first, second);
    }
}
