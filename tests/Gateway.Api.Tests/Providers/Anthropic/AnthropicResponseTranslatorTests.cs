using System.Text.Json;
using Switchboard.Gateway.Providers;
using Switchboard.Gateway.Providers.Anthropic;
using static Switchboard.Gateway.Tests.Providers.TranslationKit;

namespace Switchboard.Gateway.Tests.Providers.Anthropic;

public sealed class AnthropicResponseTranslatorTests
{
    private static (JsonElement Body, TranslatedCompletion Result) Translate(string message)
    {
        var attempt = Attempt("""{"model":"chat","messages":[{"role":"user","content":"x"}]}""");
        using var document = JsonDocument.Parse(message);
        var result = AnthropicResponseTranslator.Translate(document.RootElement, attempt);
        return (JsonDocument.Parse(result.Body).RootElement.Clone(), result);
    }

    [Fact]
    public void A_text_message_becomes_a_chat_completion()
    {
        var (body, result) = Translate(AnthropicPayloads.TextMessage);

        Assert.Equal(ResponseId, body.Str("id"));
        Assert.Equal("chat.completion", body.Str("object"));
        Assert.Equal(Created, body.GetProperty("created").GetInt64());
        Assert.Equal("claude-3-7-sonnet-20250219", body.Str("model"));
        var choice = body.GetProperty("choices")[0];
        Assert.Equal(0, choice.GetProperty("index").GetInt32());
        Assert.Equal("assistant", choice.GetProperty("message").Str("role"));
        Assert.Equal("Hi! My name is Claude.", choice.GetProperty("message").Str("content"));
        Assert.Equal("stop", choice.Str("finish_reason"));
        var usage = body.GetProperty("usage");
        Assert.Equal(2095, usage.GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(503, usage.GetProperty("completion_tokens").GetInt32());
        Assert.Equal(2598, usage.GetProperty("total_tokens").GetInt32());
        Assert.Equal(new TokenUsage(2095, 503), result.Usage);
        Assert.Equal("claude-3-7-sonnet-20250219", result.ReportedModel);
        Assert.Equal("stop", result.FinishReason);
    }

    [Fact]
    public void Tool_use_blocks_become_tool_calls_with_json_string_arguments()
    {
        var (body, result) = Translate(AnthropicPayloads.ToolUseMessage);

        var message = body.GetProperty("choices")[0].GetProperty("message");
        Assert.Equal("I'll check the current weather in San Francisco for you.", message.Str("content"));
        var call = message.GetProperty("tool_calls")[0];
        Assert.Equal("toolu_01A09q90qw90lq917835lq9", call.Str("id"));
        Assert.Equal("function", call.Str("type"));
        Assert.Equal("get_weather", call.GetProperty("function").Str("name"));
        var arguments = JsonDocument.Parse(call.GetProperty("function").Str("arguments")!).RootElement;
        Assert.Equal("San Francisco, CA", arguments.Str("location"));
        Assert.Equal("celsius", arguments.Str("unit"));
        Assert.Equal("tool_calls", result.FinishReason);
    }

    [Fact]
    public void Thinking_blocks_become_reasoning_content()
    {
        var (body, _) = Translate(AnthropicPayloads.ThinkingMessage);

        var message = body.GetProperty("choices")[0].GetProperty("message");
        Assert.Equal("Based on my analysis...", message.Str("content"));
        Assert.Equal("Let me analyze this step by step...", message.Str("reasoning_content"));
    }

    [Fact]
    public void Cache_tokens_are_part_of_prompt_tokens_and_reported_as_cached_and_written()
    {
        var (body, result) = Translate("""
            {"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-20250514",
             "content":[{"type":"text","text":"ok"}],"stop_reason":"end_turn",
             "usage":{"input_tokens":21,"cache_read_input_tokens":188086,"cache_creation_input_tokens":100,"output_tokens":393}}
            """);

        Assert.Equal(new TokenUsage(21 + 188086 + 100, 393, CachedInput: 188086, CacheWrite: 100), result.Usage);
        var usage = body.GetProperty("usage");
        Assert.Equal(188207, usage.GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(188086, usage.GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt32());
    }

    [Theory]
    [InlineData("end_turn", "stop")]
    [InlineData("stop_sequence", "stop")]
    [InlineData("max_tokens", "length")]
    [InlineData("tool_use", "tool_calls")]
    [InlineData("refusal", "content_filter")]
    [InlineData("pause_turn", "stop")]
    public void Stop_reasons_map_to_finish_reasons(string stopReason, string finishReason)
    {
        var (body, result) = Translate($$$"""
            {"id":"msg_1","type":"message","role":"assistant","model":"m","content":[{"type":"text","text":"x"}],
             "stop_reason":"{{{stopReason}}}","usage":{"input_tokens":1,"output_tokens":1}}
            """);
        Assert.Equal(finishReason, result.FinishReason);
        Assert.Equal(finishReason, body.GetProperty("choices")[0].Str("finish_reason"));
    }

    [Fact]
    public void A_message_without_content_is_a_protocol_error()
    {
        Assert.Throws<UpstreamProtocolException>(() => Translate("""{"id":"msg_1","type":"message"}"""));
    }
}
