using System.Net;
using System.Text;
using System.Text.Json;
using Switchboard.Simulator.Tests.Infrastructure;

namespace Switchboard.Simulator.Tests.Anthropic;

// The exact wire shapes of the Anthropic Messages API: SSE event names and order, headers, errors.
[Collection(SimulatorCollection.Name)]
public sealed class AnthropicWireTests(SimulatorServer server)
{
    private const string Body = """{"model":"claude-3-5-haiku-20241022","max_tokens":256,"stream":true,"messages":[{"role":"user","content":"hi"}]}""";

    private async Task<HttpResponseMessage> PostAsync(string provider, string body, bool key = true, bool version = true)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/{provider}/v1/messages") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (key)
        {
            request.Headers.Add("x-api-key", "sk-ant-sim");
        }

        if (version)
        {
            request.Headers.Add("anthropic-version", "2023-06-01");
        }

        return await server.Http.SendAsync(request);
    }

    [Fact]
    public async Task Stream_events_are_named_and_ordered_as_the_api_documents_them_including_ping()
    {
        var provider = await server.ProviderAsync("anthropic", new { outputTokens = 2 });

        using var response = await PostAsync(provider, Body);
        var events = Sse.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(
            ["message_start", "content_block_start", "ping", "content_block_delta", "content_block_delta", "content_block_stop", "message_delta", "message_stop"],
            events.Select(e => e.Event));
        foreach (var e in events)
        {
            using var json = JsonDocument.Parse(e.Data);
            Assert.Equal(e.Event, json.RootElement.GetProperty("type").GetString());
        }

        using var start = JsonDocument.Parse(events[0].Data);
        var message = start.RootElement.GetProperty("message");
        Assert.Equal(0, message.GetProperty("content").GetArrayLength());
        Assert.Equal(JsonValueKind.Null, message.GetProperty("stop_reason").ValueKind);
        using var delta = JsonDocument.Parse(events[3].Data);
        Assert.Equal("text_delta", delta.RootElement.GetProperty("delta").GetProperty("type").GetString());
        using var messageDelta = JsonDocument.Parse(events[6].Data);
        Assert.Equal("end_turn", messageDelta.RootElement.GetProperty("delta").GetProperty("stop_reason").GetString());
        Assert.Equal(2, messageDelta.RootElement.GetProperty("usage").GetProperty("output_tokens").GetInt32());
    }

    [Fact]
    public async Task Rate_limit_headers_are_anthropics_with_rfc3339_resets()
    {
        var provider = await server.ProviderAsync("anthropic", new { requestsPerMinute = 50 });

        using var response = await PostAsync(provider, Body);

        Assert.Equal("50", response.Headers.GetValues("anthropic-ratelimit-requests-limit").Single());
        Assert.Equal("49", response.Headers.GetValues("anthropic-ratelimit-requests-remaining").Single());
        Assert.True(DateTimeOffset.TryParse(response.Headers.GetValues("anthropic-ratelimit-requests-reset").Single(), System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out _));
        Assert.True(response.Headers.Contains("anthropic-ratelimit-tokens-remaining"));
        Assert.True(response.Headers.Contains("request-id"));
    }

    [Fact]
    public async Task The_anthropic_version_header_is_required()
    {
        var provider = await server.ProviderAsync("anthropic");

        using var response = await PostAsync(provider, Body, version: false);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("error", json.RootElement.GetProperty("type").GetString());
        Assert.Equal("invalid_request_error", json.RootElement.GetProperty("error").GetProperty("type").GetString());
        Assert.Contains("anthropic-version", json.RootElement.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bearer_token_is_accepted_instead_of_x_api_key_and_no_key_is_a_401()
    {
        var provider = await server.ProviderAsync("anthropic");
        using var bearer = new HttpRequestMessage(HttpMethod.Post, $"/{provider}/v1/messages") { Content = new StringContent(Body, Encoding.UTF8, "application/json") };
        bearer.Headers.Add("Authorization", "Bearer sk-ant-sim");
        bearer.Headers.Add("anthropic-version", "2023-06-01");

        using var withBearer = await server.Http.SendAsync(bearer);
        using var withoutKey = await PostAsync(provider, Body, key: false);

        Assert.Equal(HttpStatusCode.OK, withBearer.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, withoutKey.StatusCode);
        using var json = JsonDocument.Parse(await withoutKey.Content.ReadAsStringAsync());
        Assert.Equal("authentication_error", json.RootElement.GetProperty("error").GetProperty("type").GetString());
    }

    [Fact]
    public async Task Max_tokens_is_required()
    {
        var provider = await server.ProviderAsync("anthropic");

        using var response = await PostAsync(provider, """{"model":"claude-3-5-haiku-20241022","messages":[{"role":"user","content":"hi"}]}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task An_injected_stream_error_is_an_error_event_with_overloaded_error()
    {
        var provider = await server.ProviderAsync("anthropic", new { outputTokens = 5, streamError = 1.0, disconnectAfterChunks = 2 });

        using var response = await PostAsync(provider, Body);
        var events = Sse.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal("error", events[^1].Event);
        using var json = JsonDocument.Parse(events[^1].Data);
        Assert.Equal("overloaded_error", json.RootElement.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal(2, events.Count(e => e.Event == "content_block_delta"));
        Assert.DoesNotContain(events, e => e.Event == "message_stop");
    }

    [Fact]
    public async Task Rate_limited_requests_get_rate_limit_error_and_retry_after()
    {
        var provider = await server.ProviderAsync("anthropic", new { requestsPerMinute = 1 });
        using var first = await PostAsync(provider, Body);
        await first.Content.ReadAsStringAsync();

        using var second = await PostAsync(provider, Body);

        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        Assert.NotNull(second.Headers.RetryAfter);
        Assert.Equal("0", second.Headers.GetValues("anthropic-ratelimit-requests-remaining").Single());
        using var json = JsonDocument.Parse(await second.Content.ReadAsStringAsync());
        Assert.Equal("rate_limit_error", json.RootElement.GetProperty("error").GetProperty("type").GetString());
    }
}
