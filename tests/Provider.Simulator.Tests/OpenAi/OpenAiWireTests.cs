using System.Net;
using System.Text;
using System.Text.Json;
using Switchboard.Simulator.Tests.Infrastructure;

namespace Switchboard.Simulator.Tests.OpenAi;

// The exact wire shapes (headers, SSE framing, error bodies) of the OpenAI Chat Completions API.
[Collection(SimulatorCollection.Name)]
public sealed class OpenAiWireTests(SimulatorServer server)
{
    private async Task<HttpResponseMessage> PostAsync(string provider, string body, string? key = "sk-sim")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/{provider}/v1/chat/completions") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (key is not null)
        {
            request.Headers.Add("Authorization", $"Bearer {key}");
        }

        return await server.Http.SendAsync(request);
    }

    [Fact]
    public async Task Stream_is_role_chunk_content_chunks_finish_chunk_usage_chunk_then_done()
    {
        var provider = await server.ProviderAsync("openai", new { outputTokens = 3 });

        using var response = await PostAsync(provider, """{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}""");
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        Assert.EndsWith("data: [DONE]\n\n", body, StringComparison.Ordinal);
        var events = Sse.Parse(body);
        Assert.Equal(3 + 4, events.Count);
        Assert.All(events, e => Assert.Null(e.Event));
        var chunks = events.Take(events.Count - 1).Select(e => JsonDocument.Parse(e.Data).RootElement).ToList();
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", c.GetProperty("object").GetString()));
        Assert.Single(chunks.Select(c => c.GetProperty("id").GetString()).Distinct());

        var first = chunks[0].GetProperty("choices")[0];
        Assert.Equal("assistant", first.GetProperty("delta").GetProperty("role").GetString());
        Assert.Equal("", first.GetProperty("delta").GetProperty("content").GetString());
        Assert.Equal(JsonValueKind.Null, first.GetProperty("finish_reason").ValueKind);
        Assert.Equal(JsonValueKind.Null, chunks[0].GetProperty("usage").ValueKind);
        var finish = chunks[^2].GetProperty("choices")[0];
        Assert.Equal("stop", finish.GetProperty("finish_reason").GetString());
        Assert.Empty(finish.GetProperty("delta").EnumerateObject());
        var usageChunk = chunks[^1];
        Assert.Equal(0, usageChunk.GetProperty("choices").GetArrayLength());
        Assert.Equal(3, usageChunk.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task Without_include_usage_no_chunk_carries_usage()
    {
        var provider = await server.ProviderAsync("openai", new { outputTokens = 2 });

        using var response = await PostAsync(provider, """{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"hi"}]}""");
        var events = Sse.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(2 + 3, events.Count);
        Assert.All(events.SkipLast(1), e => Assert.False(JsonDocument.Parse(e.Data).RootElement.TryGetProperty("usage", out _)));
    }

    [Fact]
    public async Task N_choices_each_get_an_answer_and_usage_counts_them_all()
    {
        var provider = await server.ProviderAsync("openai", new { outputTokens = 5 });

        using var response = await PostAsync(provider, """{"model":"gpt-4o","n":3,"messages":[{"role":"user","content":"hi"}]}""");

        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var choices = json.RootElement.GetProperty("choices");
        Assert.Equal(3, choices.GetArrayLength());
        Assert.Equal([0, 1, 2], choices.EnumerateArray().Select(c => c.GetProperty("index").GetInt32()));
        Assert.Equal(15, json.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.Equal(3, choices.EnumerateArray().Select(c => c.GetProperty("message").GetProperty("content").GetString()).Distinct().Count());
    }

    [Fact]
    public async Task Rate_limit_headers_count_down_within_the_window()
    {
        var provider = await server.ProviderAsync("openai", new { requestsPerMinute = 100, tokensPerMinute = 50_000 });

        using var first = await PostAsync(provider, """{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}""");
        using var second = await PostAsync(provider, """{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}""");

        Assert.Equal("100", first.Headers.GetValues("x-ratelimit-limit-requests").Single());
        Assert.Equal("99", first.Headers.GetValues("x-ratelimit-remaining-requests").Single());
        Assert.Equal("98", second.Headers.GetValues("x-ratelimit-remaining-requests").Single());
        Assert.Equal("50000", first.Headers.GetValues("x-ratelimit-limit-tokens").Single());
        Assert.True(long.Parse(second.Headers.GetValues("x-ratelimit-remaining-tokens").Single(), System.Globalization.CultureInfo.InvariantCulture) < 50_000);
        Assert.Matches("^[0-9.]+(ms|s)$|^[0-9]+m[0-9]+s$", first.Headers.GetValues("x-ratelimit-reset-requests").Single());
        Assert.Matches("^req_[0-9a-f]{32}$", first.Headers.GetValues("x-request-id").Single());
    }

    [Theory]
    [InlineData(null, """{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}""", 401, "invalid_api_key")]
    [InlineData("sk-sim", """{"messages":[{"role":"user","content":"hi"}]}""", 400, null)]
    [InlineData("sk-sim", """{"model":"gpt-4o","messages":[]}""", 400, null)]
    [InlineData("sk-sim", """{"model":"gpt-4o",""", 400, null)]
    public async Task Invalid_requests_get_the_openai_error_shape(string? key, string body, int status, string? code)
    {
        var provider = await server.ProviderAsync("openai");

        using var response = await PostAsync(provider, body, key);

        Assert.Equal(status, (int)response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var error = json.RootElement.GetProperty("error");
        Assert.Equal(["message", "type", "param", "code"], error.EnumerateObject().Select(p => p.Name));
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Equal(code, error.GetProperty("code").GetString());
    }

    [Fact]
    public async Task An_unknown_provider_or_one_of_another_type_is_a_404_in_openai_shape()
    {
        using var unknown = await PostAsync("nosuch", """{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}""");
        using var wrongType = await PostAsync("anthropic", """{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}""");

        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, wrongType.StatusCode);
        using var json = JsonDocument.Parse(await unknown.Content.ReadAsStringAsync());
        Assert.Contains("nosuch", json.RootElement.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_injected_stream_error_arrives_as_an_error_object_inside_the_stream()
    {
        var provider = await server.ProviderAsync("openai", new { outputTokens = 6, streamError = 1.0, disconnectAfterChunks = 2 });

        using var response = await PostAsync(provider, """{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"hi"}]}""");
        var events = Sse.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1 + 2 + 1, events.Count);
        using var last = JsonDocument.Parse(events[^1].Data);
        Assert.Equal("server_error", last.RootElement.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal(new Stats(1, 0, 0, 1), await server.WaitForStatsAsync(provider, s => s.Failed == 1));
    }
}
