using System.Text.Json;
using Switchboard.Gateway.Providers;
using Switchboard.Gateway.Providers.Gemini;
using static Switchboard.Gateway.Tests.Providers.TranslationKit;

namespace Switchboard.Gateway.Tests.Providers.Gemini;

public sealed class GeminiTranslationTests
{
    private const string Request = """{"model":"chat","messages":[{"role":"user","content":"x"}]}""";
    private const string StreamRequest = """{"model":"chat","stream":true,"messages":[{"role":"user","content":"x"}]}""";
    private const string StreamUsageRequest = """{"model":"chat","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"x"}]}""";

    private static (JsonElement Body, TranslatedCompletion Result) Translate(string response)
    {
        using var document = JsonDocument.Parse(response);
        var result = GeminiResponseTranslator.Translate(document.RootElement, Attempt(Request, type: "gemini", model: "gemini-2.0-flash"));
        return (JsonDocument.Parse(result.Body).RootElement.Clone(), result);
    }

    private static GeminiStreamTranslator Translator(string request = StreamRequest) =>
        new(Attempt(request, type: "gemini", model: "gemini-2.0-flash"));

    [Fact]
    public void A_text_response_becomes_a_chat_completion()
    {
        var (body, result) = Translate(GeminiPayloads.TextResponse);

        Assert.Equal(ResponseId, body.Str("id"));
        Assert.Equal("chat.completion", body.Str("object"));
        Assert.Equal("gemini-2.0-flash", body.Str("model"));
        var choice = body.GetProperty("choices")[0];
        Assert.Equal("AI learns patterns from data to make predictions or decisions.", choice.GetProperty("message").Str("content"));
        Assert.Equal("stop", choice.Str("finish_reason"));
        Assert.Equal(20, body.GetProperty("usage").GetProperty("total_tokens").GetInt32());
        Assert.Equal(new TokenUsage(8, 12), result.Usage);
        Assert.Equal("gemini-2.0-flash", result.ReportedModel);
    }

    [Fact]
    public void A_function_call_becomes_a_tool_call_with_a_generated_id_and_json_arguments()
    {
        var (body, result) = Translate(GeminiPayloads.FunctionCallResponse);

        var message = body.GetProperty("choices")[0].GetProperty("message");
        Assert.Equal(JsonValueKind.Null, message.GetProperty("content").ValueKind);
        var call = message.GetProperty("tool_calls")[0];
        Assert.Equal("call_test123_0", call.Str("id"));
        Assert.Equal("function", call.Str("type"));
        Assert.Equal("schedule_meeting", call.GetProperty("function").Str("name"));
        var arguments = JsonDocument.Parse(call.GetProperty("function").Str("arguments")!).RootElement;
        Assert.Equal(["Bob", "Alice"], arguments.GetProperty("attendees").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal("tool_calls", result.FinishReason);
    }

    [Fact]
    public void A_function_call_id_from_gemini_is_kept()
    {
        var (body, _) = Translate("""
            {"candidates":[{"content":{"role":"model","parts":[{"functionCall":{"id":"fc-7","name":"f","args":{}}}]},"finishReason":"STOP"}]}
            """);
        Assert.Equal("fc-7", body.GetProperty("choices")[0].GetProperty("message").GetProperty("tool_calls")[0].Str("id"));
    }

    [Theory]
    [InlineData("STOP", "stop")]
    [InlineData("MAX_TOKENS", "length")]
    [InlineData("SAFETY", "content_filter")]
    [InlineData("RECITATION", "content_filter")]
    [InlineData("BLOCKLIST", "content_filter")]
    [InlineData("PROHIBITED_CONTENT", "content_filter")]
    [InlineData("OTHER", "stop")]
    public void Finish_reasons_map_to_openai(string reason, string expected) =>
        Assert.Equal(expected, GeminiResponseTranslator.MapFinishReason(System.Text.Encoding.UTF8.GetBytes(reason), calledFunction: false));

    [Fact]
    public void A_safety_blocked_candidate_is_an_empty_content_filtered_choice()
    {
        var (body, result) = Translate(GeminiPayloads.SafetyResponse);
        Assert.Equal("", body.GetProperty("choices")[0].GetProperty("message").Str("content"));
        Assert.Equal("content_filter", result.FinishReason);
    }

    [Fact]
    public void A_blocked_prompt_is_one_content_filtered_choice()
    {
        var (body, result) = Translate(GeminiPayloads.BlockedPromptResponse);
        Assert.Equal(1, body.GetProperty("choices").GetArrayLength());
        Assert.Equal("content_filter", result.FinishReason);
    }

    [Fact]
    public void Several_candidates_become_several_choices()
    {
        var (body, _) = Translate("""
            {"candidates":[{"content":{"role":"model","parts":[{"text":"A"}]},"finishReason":"STOP","index":0},
                           {"content":{"role":"model","parts":[{"text":"B"}]},"finishReason":"MAX_TOKENS","index":1}],
             "usageMetadata":{"promptTokenCount":3,"candidatesTokenCount":2,"totalTokenCount":5}}
            """);

        var choices = body.GetProperty("choices");
        Assert.Equal(["A", "B"], choices.EnumerateArray().Select(c => c.GetProperty("message").Str("content")));
        Assert.Equal(["stop", "length"], choices.EnumerateArray().Select(c => c.Str("finish_reason")));
    }

    [Fact]
    public void Usage_counts_thoughts_as_reasoning_output_and_cached_content_as_cached_input()
    {
        using var document = JsonDocument.Parse("""
            {"promptTokenCount":30,"candidatesTokenCount":6,"thoughtsTokenCount":100,"cachedContentTokenCount":20,"totalTokenCount":136}
            """);
        Assert.Equal(new TokenUsage(30, 106, CachedInput: 20, Reasoning: 100), GeminiResponseTranslator.ReadUsage(document.RootElement));
    }

    [Fact]
    public void The_text_stream_becomes_role_content_and_finish_chunks_then_done()
    {
        var translator = Translator();
        var frames = Frames(Replay(translator, GeminiPayloads.TextStream));

        Assert.Equal("[DONE]", frames[^1]);
        var chunks = Chunks(Replay(Translator(), GeminiPayloads.TextStream));
        Assert.Equal("assistant", Delta(chunks[0]).Str("role"));
        Assert.Equal("Once upon a time, in a land filled with magic backpacks...", Content(chunks));
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", c.Str("object")));
        Assert.All(chunks, c => Assert.Equal("gemini-2.0-flash", c.Str("model")));
        Assert.Equal("stop", chunks[^1].GetProperty("choices")[0].Str("finish_reason"));
        Assert.DoesNotContain(chunks, c => c.TryGetProperty("usage", out _));
        Assert.True(translator.Completed);
        Assert.True(translator.SawFirstToken);
        Assert.Equal("stop", translator.FinishReason);
        Assert.Equal(new TokenUsage(8, 28), translator.Usage);
        Assert.Equal("gemini-2.0-flash", translator.ReportedModel);
    }

    [Fact]
    public void The_stream_is_completed_only_once_a_candidate_has_a_finish_reason()
    {
        var translator = Translator();
        var firstTwo = GeminiPayloads.TextStream[..GeminiPayloads.TextStream.LastIndexOf("data:", StringComparison.Ordinal)];
        Replay(translator, firstTwo);
        Assert.False(translator.Completed);
        Assert.True(translator.SawFirstToken);
    }

    [Fact]
    public void The_usage_chunk_comes_last_when_asked_for()
    {
        var chunks = Chunks(Replay(Translator(StreamUsageRequest), GeminiPayloads.ThinkingStream));

        var usage = chunks[^1];
        Assert.Equal(0, usage.GetProperty("choices").GetArrayLength());
        Assert.Equal(30, usage.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(106, usage.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.Equal(20, usage.GetProperty("usage").GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt32());
        Assert.Equal(100, usage.GetProperty("usage").GetProperty("completion_tokens_details").GetProperty("reasoning_tokens").GetInt32());
    }

    [Fact]
    public void Thought_parts_stream_as_reasoning_content()
    {
        var chunks = Chunks(Replay(Translator(), GeminiPayloads.ThinkingStream));
        Assert.Equal("**Analyzing the riddle**\n\nI'm considering the clues.", Content(chunks, "reasoning_content"));
        Assert.Equal("The answer is a keyboard.", Content(chunks));
    }

    [Fact]
    public void A_streamed_function_call_is_one_complete_tool_call_delta()
    {
        var translator = Translator();
        var chunks = Chunks(Replay(translator, GeminiPayloads.FunctionCallStream));

        var calls = ToolCalls(chunks);
        var (id, name, arguments) = Assert.Single(calls).Value;
        Assert.Equal("call_test123_0", id);
        Assert.Equal("schedule_meeting", name);
        Assert.Equal("Q3 planning", JsonDocument.Parse(arguments).RootElement.Str("topic"));
        Assert.Equal("tool_calls", translator.FinishReason);
        Assert.True(translator.Completed);
    }

    [Fact]
    public void Two_streamed_candidates_keep_their_choice_indexes_and_complete_when_both_finish()
    {
        var translator = Translator();
        var chunks = Chunks(Replay(translator,
            "data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"A1\"}]},\"index\":0},{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"B1\"}]},\"index\":1}]}\r\n\r\n"
            + "data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"A2\"}]},\"finishReason\":\"STOP\",\"index\":0}]}\r\n\r\n", complete: false));
        Assert.False(translator.Completed);
        Assert.Equal("A1A2", Content(chunks, index: 0));
        Assert.Equal("B1", Content(chunks, index: 1));

        Replay(translator, "data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"B2\"}]},\"finishReason\":\"MAX_TOKENS\",\"index\":1}]}\r\n\r\n", complete: false);
        Assert.True(translator.Completed);
    }

    [Fact]
    public void An_error_inside_the_stream_sets_the_stream_error_and_writes_an_error_frame()
    {
        var translator = Translator();
        var written = Replay(translator, "data: " + GeminiPayloads.UnavailableError + "\r\n\r\n");

        var error = JsonDocument.Parse(Assert.Single(Frames(written))).RootElement.GetProperty("error");
        Assert.Equal("The model is overloaded. Please try again later.", error.Str("message"));
        Assert.Equal("UNAVAILABLE", error.Str("type"));
        Assert.Equal(503, translator.StreamError!.Status);
        Assert.False(translator.Completed);
    }

    [Fact]
    public void A_malformed_event_is_a_protocol_error()
    {
        Assert.Throws<UpstreamProtocolException>(() => Replay(Translator(), "data: {\"candidates\": [\r\n\r\n"));
    }
}
