using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Switchboard.Gateway.Providers;
using Switchboard.Gateway.Providers.Anthropic;
using static Switchboard.Gateway.Tests.Providers.TranslationKit;

namespace Switchboard.Gateway.Tests.Providers.Anthropic;

public sealed class AnthropicAdapterTests
{
    private const string Request = """{"model":"chat","messages":[{"role":"user","content":"Hello"}]}""";

    [Theory]
    [InlineData("https://api.anthropic.com", "https://api.anthropic.com/v1/messages")]
    [InlineData("https://api.anthropic.com/", "https://api.anthropic.com/v1/messages")]
    [InlineData("http://127.0.0.1:9090/anthropic", "http://127.0.0.1:9090/anthropic/v1/messages")]
    [InlineData("https://proxy.test/anthropic/v1", "https://proxy.test/anthropic/v1/messages")]
    public void The_request_goes_to_v1_messages(string baseUrl, string expected)
    {
        using var request = new AnthropicAdapter().CreateRequest(Attempt(Request, baseUrl: baseUrl));
        Assert.Equal(HttpMethod.Post, request.Method);
        Assert.Equal(expected, request.RequestUri!.AbsoluteUri);
    }

    [Fact]
    public async Task The_request_carries_key_version_and_json_body()
    {
        using var request = new AnthropicAdapter().CreateRequest(Attempt(Request, headers: new Dictionary<string, string> { ["x-extra"] = "1" }));

        Assert.Equal("sk-secret", Assert.Single(request.Headers.GetValues("x-api-key")));
        Assert.Equal("2023-06-01", Assert.Single(request.Headers.GetValues("anthropic-version")));
        Assert.Equal("1", Assert.Single(request.Headers.GetValues("x-extra")));
        Assert.False(request.Headers.Contains("Authorization"));
        Assert.Equal("application/json", request.Content!.Headers.ContentType!.MediaType);
        var bytes = await request.Content.ReadAsByteArrayAsync();
        Assert.Equal(bytes.Length, request.Content.Headers.ContentLength);
        var body = JsonDocument.Parse(bytes).RootElement;
        Assert.Equal("claude-sonnet-4-20250514", body.Str("model"));
        Assert.Equal(4096, body.GetProperty("max_tokens").GetInt32());
        Assert.False(body.TryGetProperty("stream", out _));
    }

    [Fact]
    public void A_pinned_api_version_is_sent()
    {
        using var request = new AnthropicAdapter().CreateRequest(Attempt(Request, apiVersion: "2024-01-01"));
        Assert.Equal("2024-01-01", Assert.Single(request.Headers.GetValues("anthropic-version")));
    }

    [Fact]
    public async Task A_streaming_request_asks_for_a_stream()
    {
        using var request = new AnthropicAdapter().CreateRequest(Attempt("""{"model":"chat","stream":true,"messages":[{"role":"user","content":"Hello"}]}"""));
        var body = JsonDocument.Parse(await request.Content!.ReadAsByteArrayAsync()).RootElement;
        Assert.True(body.GetProperty("stream").GetBoolean());
    }

    [Fact]
    public async Task A_completion_is_read_and_translated()
    {
        var attempt = Attempt(Request);
        using var response = Response(200, AnthropicPayloads.TextMessage);

        var result = await new AnthropicAdapter().ReadCompletionAsync(response, attempt, CancellationToken.None);

        Assert.Equal("Hi! My name is Claude.", JsonDocument.Parse(result.Body).RootElement.GetProperty("choices")[0].GetProperty("message").Str("content"));
        Assert.Equal(new TokenUsage(2095, 503), result.Usage);
    }

    [Fact]
    public async Task A_truncated_completion_is_a_protocol_error()
    {
        using var response = Response(200, AnthropicPayloads.TextMessage[..40]);
        await Assert.ThrowsAsync<UpstreamProtocolException>(async () =>
            await new AnthropicAdapter().ReadCompletionAsync(response, Attempt(Request), CancellationToken.None));
    }

    [Fact]
    public async Task An_overloaded_529_is_read_as_an_upstream_error()
    {
        using var response = Response(529, AnthropicPayloads.OverloadedError);
        var error = await new AnthropicAdapter().ReadErrorAsync(response, CancellationToken.None);
        Assert.Equal(new UpstreamError(529, "overloaded_error", "Overloaded"), error);
    }

    [Fact]
    public async Task A_429_carries_its_retry_after_seconds()
    {
        using var response = Response(429, AnthropicPayloads.RateLimitError);
        response.Headers.TryAddWithoutValidation("retry-after", "17");

        var error = await new AnthropicAdapter().ReadErrorAsync(response, CancellationToken.None);

        Assert.Equal(429, error.Status);
        Assert.Equal("rate_limit_error", error.Type);
        Assert.Equal("Number of request tokens has exceeded your per-minute rate limit", error.Message);
        Assert.Equal(TimeSpan.FromSeconds(17), error.RetryAfter);
    }

    [Fact]
    public async Task A_retry_after_date_is_measured_on_the_adapters_clock()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2025, 1, 1, 12, 0, 0, TimeSpan.Zero));
        using var response = Response(429, AnthropicPayloads.RateLimitError);
        response.Headers.TryAddWithoutValidation("retry-after", "Wed, 01 Jan 2025 12:00:30 GMT");

        var error = await new AnthropicAdapter(clock).ReadErrorAsync(response, CancellationToken.None);

        Assert.Equal(TimeSpan.FromSeconds(30), error.RetryAfter);
    }

    [Fact]
    public async Task A_non_json_error_body_gives_a_status_based_error()
    {
        using var response = Response(502, "<html>Bad gateway</html>", "text/html");
        var error = await new AnthropicAdapter().ReadErrorAsync(response, CancellationToken.None);
        Assert.Equal(502, error.Status);
        Assert.Equal("api_error", error.Type);
        Assert.Contains("Bad gateway", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_adapter_type_is_anthropic()
    {
        Assert.Equal("anthropic", new AnthropicAdapter().Type);
        Assert.IsType<AnthropicStreamTranslator>(new AnthropicAdapter().CreateStreamTranslator(Attempt(Request)));
    }
}
