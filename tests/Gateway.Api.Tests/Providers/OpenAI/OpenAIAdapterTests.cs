using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Switchboard.Gateway.Providers;
using Switchboard.Gateway.Providers.OpenAI;

namespace Switchboard.Gateway.Tests.Providers.OpenAI;

public sealed class OpenAIAdapterTests
{
    private static AttemptContext Context(string body, out ChatRequest request, string model = "gpt-4o-2024-08-06")
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        request = new ChatRequest(bytes, JsonDocument.Parse(bytes));
        return new AttemptContext
        {
            Request = request,
            Provider = new ProviderEndpoint("up", "openai", new Uri("http://127.0.0.1:1/v1"), "secret"),
            Model = model,
            ResponseId = "r",
            CreatedUnix = 0,
            Warnings = new WarningSet(),
        };
    }

    private static string Rewritten(AttemptContext ctx) => Encoding.UTF8.GetString(new SplicedJsonContent(OpenAIAdapter.RewriteBody(ctx)).ToArray());

    [Fact]
    public void Only_model_is_rewritten_and_other_bytes_pass_through()
    {
        var ctx = Context("""{"model":"chat","messages":[{"role":"user","content":"h\u00e9 \"x\""}],"temperature":0.25,"seed":7}""", out var request);
        using (request)
        {
            var body = Rewritten(ctx);
            Assert.Equal("""{"model":"gpt-4o-2024-08-06","messages":[{"role":"user","content":"h\u00e9 \"x\""}],"temperature":0.25,"seed":7}""", body);
            Assert.Empty(ctx.Warnings.Items);
        }
    }

    [Fact]
    public void Streaming_asks_for_usage_keeping_other_stream_options()
    {
        var ctx = Context("""{"model":"chat","stream":true,"messages":[],"stream_options":{"include_obfuscation":false}}""", out var request);
        using (request)
        {
            using var doc = JsonDocument.Parse(Rewritten(ctx));
            var options = doc.RootElement.GetProperty("stream_options");
            Assert.True(options.GetProperty("include_usage").GetBoolean());
            Assert.False(options.GetProperty("include_obfuscation").GetBoolean());
        }
        ctx = Context("""{"model":"chat","stream":true,"messages":[]}""", out request);
        using (request)
        {
            using var doc = JsonDocument.Parse(Rewritten(ctx));
            Assert.True(doc.RootElement.GetProperty("stream_options").GetProperty("include_usage").GetBoolean());
        }
    }

    [Fact]
    public void Anthropic_thinking_is_dropped_with_a_warning()
    {
        var ctx = Context("""{"thinking":{"type":"enabled","budget_tokens":1024},"model":"chat","messages":[]}""", out var request);
        using (request)
        {
            using var doc = JsonDocument.Parse(Rewritten(ctx));
            Assert.False(doc.RootElement.TryGetProperty("thinking", out _));
            Assert.Equal("gpt-4o-2024-08-06", doc.RootElement.GetProperty("model").GetString());
            Assert.Contains(ctx.Warnings.Items, w => w.Contains("thinking", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void The_stream_translator_holds_back_done_and_the_usage_chunk_the_client_did_not_ask_for()
    {
        var translator = new OpenAIStreamTranslator(includeUsage: false);
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        translator.OnEvent(default, """{"model":"gpt-4o-2024-08-06","choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}"""u8, output);
        Assert.False(translator.SawFirstToken);
        translator.OnEvent(default, """{"model":"gpt-4o-2024-08-06","choices":[{"index":0,"delta":{"content":"Hi"}}]}"""u8, output);
        Assert.True(translator.SawFirstToken);
        translator.OnEvent(default, """{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"""u8, output);
        translator.OnEvent(default, """{"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":2,"prompt_tokens_details":{"cached_tokens":3},"completion_tokens_details":{"reasoning_tokens":1}}}"""u8, output);
        translator.OnEvent(default, "[DONE]"u8, output);
        var text = Encoding.UTF8.GetString(output.WrittenSpan);
        Assert.Equal(3, text.Split("data: ").Length - 1);
        Assert.DoesNotContain("usage\":{", text, StringComparison.Ordinal);
        Assert.DoesNotContain("[DONE]", text, StringComparison.Ordinal);
        Assert.True(translator.Completed);
        Assert.Equal("stop", translator.FinishReason);
        Assert.Equal("gpt-4o-2024-08-06", translator.ReportedModel);
        Assert.Equal(new TokenUsage(5, 2, 3, 0, 1), translator.Usage);
        translator.Complete(output);
        Assert.EndsWith("data: [DONE]\n\n", Encoding.UTF8.GetString(output.WrittenSpan), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Errors_keep_status_message_type_and_retry_after()
    {
        var time = new FakeTimeProvider();
        var adapter = new OpenAIAdapter(time);
        using var response = new HttpResponseMessage((System.Net.HttpStatusCode)429)
        {
            Content = new StringContent("""{"error":{"message":"Slow down","type":"rate_limit_error","param":null,"code":"rate_limit_exceeded"}}"""),
        };
        response.Headers.TryAddWithoutValidation("Retry-After", "7");
        var error = await adapter.ReadErrorAsync(response, CancellationToken.None);
        Assert.Equal(429, error.Status);
        Assert.Equal("Slow down", error.Message);
        Assert.Equal("rate_limit_error", error.Type);
        Assert.Equal(TimeSpan.FromSeconds(7), error.RetryAfter);
    }

    [Fact]
    public async Task A_completion_without_choices_is_malformed()
    {
        var adapter = new OpenAIAdapter(TimeProvider.System);
        var ctx = Context("""{"model":"chat","messages":[]}""", out var request);
        using (request)
        {
            using var response = new HttpResponseMessage { Content = new StringContent("""{"id":"x","object":"chat.completion"}""") };
            await Assert.ThrowsAsync<UpstreamProtocolException>(async () => await adapter.ReadCompletionAsync(response, ctx, CancellationToken.None));
            using var truncated = new HttpResponseMessage { Content = new StringContent("""{"id":"x","choices":[""") };
            await Assert.ThrowsAsync<UpstreamProtocolException>(async () => await adapter.ReadCompletionAsync(truncated, ctx, CancellationToken.None));
        }
    }
}
