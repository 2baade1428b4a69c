using System.Text.Json;
using Switchboard.Gateway.Providers;
using Switchboard.Gateway.Providers.Gemini;
using static Switchboard.Gateway.Tests.Providers.TranslationKit;

namespace Switchboard.Gateway.Tests.Providers.Gemini;

public sealed class GeminiAdapterTests
{
    private const string Request = """{"model":"chat","messages":[{"role":"user","content":"Hello"}]}""";
    private const string StreamRequest = """{"model":"chat","stream":true,"messages":[{"role":"user","content":"Hello"}]}""";

    [Theory]
    [InlineData("https://generativelanguage.googleapis.com", Request, "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.0-flash:generateContent")]
    [InlineData("https://generativelanguage.googleapis.com", StreamRequest, "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse")]
    [InlineData("http://127.0.0.1:9090/gemini/", Request, "http://127.0.0.1:9090/gemini/v1beta/models/gemini-2.0-flash:generateContent")]
    [InlineData("https://proxy.test/google/v1", Request, "https://proxy.test/google/v1/models/gemini-2.0-flash:generateContent")]
    public void The_url_names_the_model_and_the_method(string baseUrl, string request, string expected)
    {
        using var message = new GeminiAdapter().CreateRequest(Attempt(request, type: "gemini", model: "gemini-2.0-flash", baseUrl: baseUrl));
        Assert.Equal(HttpMethod.Post, message.Method);
        Assert.Equal(expected, message.RequestUri!.AbsoluteUri);
    }

    [Fact]
    public async Task The_key_goes_in_a_header_never_in_the_url()
    {
        using var message = new GeminiAdapter().CreateRequest(Attempt(Request, type: "gemini", model: "models/gemini-2.0-flash"));

        Assert.Equal("sk-secret", Assert.Single(message.Headers.GetValues("x-goog-api-key")));
        Assert.DoesNotContain("sk-secret", message.RequestUri!.AbsoluteUri, StringComparison.Ordinal);
        Assert.EndsWith("/models/gemini-2.0-flash:generateContent", message.RequestUri.AbsoluteUri, StringComparison.Ordinal);
        var body = JsonDocument.Parse(await message.Content!.ReadAsByteArrayAsync()).RootElement;
        Assert.Equal("Hello", body.GetProperty("contents")[0].GetProperty("parts")[0].Str("text"));
    }

    [Fact]
    public async Task A_completion_is_read_and_translated()
    {
        using var response = Response(200, GeminiPayloads.TextResponse);
        var result = await new GeminiAdapter().ReadCompletionAsync(response, Attempt(Request, type: "gemini"), CancellationToken.None);
        Assert.Equal("stop", result.FinishReason);
        Assert.Equal(new TokenUsage(8, 12), result.Usage);
    }

    [Fact]
    public async Task A_malformed_completion_is_a_protocol_error()
    {
        using var response = Response(200, "{\"candidates\": [");
        await Assert.ThrowsAsync<UpstreamProtocolException>(async () =>
            await new GeminiAdapter().ReadCompletionAsync(response, Attempt(Request, type: "gemini"), CancellationToken.None));
    }

    [Fact]
    public async Task An_invalid_key_error_is_read()
    {
        using var response = Response(400, GeminiPayloads.InvalidKeyError);
        var error = await new GeminiAdapter().ReadErrorAsync(response, CancellationToken.None);
        Assert.Equal(new UpstreamError(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key."), error);
    }

    [Fact]
    public async Task A_quota_error_takes_its_retry_delay_from_retry_info()
    {
        using var response = Response(429, GeminiPayloads.QuotaError);
        var error = await new GeminiAdapter().ReadErrorAsync(response, CancellationToken.None);
        Assert.Equal(429, error.Status);
        Assert.Equal("RESOURCE_EXHAUSTED", error.Type);
        Assert.Equal(TimeSpan.FromSeconds(37), error.RetryAfter);
    }

    [Fact]
    public async Task An_error_array_from_the_json_stream_form_is_read()
    {
        using var response = Response(503, "[" + GeminiPayloads.UnavailableError + "]");
        var error = await new GeminiAdapter().ReadErrorAsync(response, CancellationToken.None);
        Assert.Equal("UNAVAILABLE", error.Type);
    }

    [Fact]
    public async Task A_non_json_error_gives_a_status_based_error()
    {
        using var response = Response(500, "upstream exploded", "text/plain");
        var error = await new GeminiAdapter().ReadErrorAsync(response, CancellationToken.None);
        Assert.Equal(500, error.Status);
        Assert.Equal("INTERNAL", error.Type);
        Assert.Contains("upstream exploded", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_adapter_type_is_gemini()
    {
        Assert.Equal("gemini", new GeminiAdapter().Type);
        Assert.IsType<GeminiStreamTranslator>(new GeminiAdapter().CreateStreamTranslator(Attempt(StreamRequest, type: "gemini")));
    }
}
