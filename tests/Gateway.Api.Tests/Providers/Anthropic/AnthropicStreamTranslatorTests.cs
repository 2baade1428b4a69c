using System.Buffers;
using System.Text;
using System.Text.Json;
using Switchboard.Gateway.Providers;
using Switchboard.Gateway.Providers.Anthropic;
using static Switchboard.Gateway.Tests.Providers.TranslationKit;

namespace Switchboard.Gateway.Tests.Providers.Anthropic;

public sealed class AnthropicStreamTranslatorTests
{
    private static AnthropicStreamTranslator Translator(bool includeUsage = false) =>
        new(Attempt(includeUsage
            ? """{"model":"chat","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"x"}]}"""
            : """{"model":"chat","stream":true,"messages":[{"role":"user","content":"x"}]}"""));

    [Fact]
    public void The_basic_text_stream_becomes_role_content_and_finish_chunks_then_done()
    {
        var translator = Translator();
        var frames = Frames(Replay(translator, AnthropicPayloads.TextStream));

        Assert.Equal("[DONE]", frames[^1]);
        var chunks = frames.Take(frames.Count - 1).Select(f => JsonDocument.Parse(f).RootElement).ToList();
        Assert.Equal(4, chunks.Count); // role, "Hello", "!", finish
        foreach (var chunk in chunks)
        {
            Assert.Equal(ResponseId, chunk.Str("id"));
            Assert.Equal("chat.completion.chunk", chunk.Str("object"));
            Assert.Equal(Created, chunk.GetProperty("created").GetInt64());
            Assert.Equal("claude-opus-4-1-20250805", chunk.Str("model"));
            Assert.Equal(0, chunk.GetProperty("choices")[0].GetProperty("index").GetInt32());
        }
        Assert.Equal("assistant", Delta(chunks[0]).Str("role"));
        Assert.Equal("Hello", Delta(chunks[1]).Str("content"));
        Assert.Equal("!", Delta(chunks[2]).Str("content"));
        Assert.Equal(JsonValueKind.Null, chunks[1].GetProperty("choices")[0].GetProperty("finish_reason").ValueKind);
        Assert.Equal("stop", chunks[3].GetProperty("choices")[0].Str("finish_reason"));
        Assert.Empty(Delta(chunks[3]).EnumerateObject());
        Assert.DoesNotContain(chunks, c => c.TryGetProperty("usage", out _)); // not asked for

        Assert.True(translator.Completed);
        Assert.True(translator.SawFirstToken);
        Assert.Null(translator.StreamError);
        Assert.Equal("stop", translator.FinishReason);
        Assert.Equal("claude-opus-4-1-20250805", translator.ReportedModel);
        Assert.Equal(new TokenUsage(25, 15), translator.Usage);
    }

    [Fact]
    public void The_usage_chunk_is_written_only_when_the_client_asked_for_it()
    {
        var chunks = Chunks(Replay(Translator(includeUsage: true), AnthropicPayloads.TextStream));

        var usage = chunks[^1];
        Assert.Equal(0, usage.GetProperty("choices").GetArrayLength());
        Assert.Equal(25, usage.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(15, usage.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.Equal(40, usage.GetProperty("usage").GetProperty("total_tokens").GetInt32());
        Assert.Single(chunks, c => c.TryGetProperty("usage", out _));
    }

    [Fact]
    public void The_tool_use_stream_becomes_indexed_tool_call_deltas_whose_fragments_form_valid_json()
    {
        var translator = Translator();
        var chunks = Chunks(Replay(translator, AnthropicPayloads.ToolUseStream));

        Assert.Equal("Okay, let's check the weather for San Francisco, CA:", Content(chunks));
        var first = chunks.First(c => Delta(c).TryGetProperty("tool_calls", out _));
        var call = Delta(first).GetProperty("tool_calls")[0];
        Assert.Equal(0, call.GetProperty("index").GetInt32());
        Assert.Equal("toolu_01T1x1fJ34qAmk2tNTrN7Up6", call.Str("id"));
        Assert.Equal("function", call.Str("type"));
        Assert.Equal("get_weather", call.GetProperty("function").Str("name"));
        Assert.Equal("", call.GetProperty("function").Str("arguments"));

        var calls = ToolCalls(chunks);
        var (id, name, arguments) = Assert.Single(calls).Value;
        Assert.Equal("toolu_01T1x1fJ34qAmk2tNTrN7Up6", id);
        Assert.Equal("get_weather", name);
        var parsed = JsonDocument.Parse(arguments).RootElement;
        Assert.Equal("San Francisco, CA", parsed.Str("location"));
        Assert.Equal("fahrenheit", parsed.Str("unit"));
        Assert.Equal("tool_calls", chunks[^1].GetProperty("choices")[0].Str("finish_reason"));
        Assert.Equal("tool_calls", translator.FinishReason);
        Assert.Equal(new TokenUsage(472, 89), translator.Usage);
    }

    [Fact]
    public void Two_tool_use_blocks_get_tool_indexes_zero_and_one_and_a_tool_without_arguments_gets_an_empty_object()
    {
        const string stream = """
            event: message_start
            data: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-20250514","content":[],"stop_reason":null,"usage":{"input_tokens":10,"output_tokens":1}}}

            event: content_block_start
            data: {"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"toolu_a","name":"now","input":{}}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":""}}

            event: content_block_stop
            data: {"type":"content_block_stop","index":0}

            event: content_block_start
            data: {"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_b","name":"get_weather","input":{}}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"city\": \"Pa"}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"ris\"}"}}

            event: content_block_stop
            data: {"type":"content_block_stop","index":1}

            event: message_delta
            data: {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":30}}

            event: message_stop
            data: {"type":"message_stop"}


            """;

        var calls = ToolCalls(Chunks(Replay(Translator(), stream)));

        Assert.Equal([0, 1], calls.Keys);
        Assert.Equal(("toolu_a", "now", "{}"), calls[0]);
        Assert.Equal("Paris", JsonDocument.Parse(calls[1].Arguments).RootElement.Str("city"));
    }

    [Fact]
    public void Thinking_deltas_become_reasoning_content_and_signatures_are_not_relayed()
    {
        var translator = Translator();
        var written = Replay(translator, AnthropicPayloads.ThinkingStream);
        var chunks = Chunks(written);

        Assert.Equal("Let me solve this step by step:\n\n1. First break down 27 * 453\n2. 453 = 400 + 50 + 3", Content(chunks, "reasoning_content"));
        Assert.Equal("27 * 453 = 12,231", Content(chunks));
        Assert.DoesNotContain("EqQBCgIYAhIM", written, StringComparison.Ordinal);
        Assert.True(translator.Completed);
    }

    [Fact]
    public void Cache_usage_from_message_start_is_kept_when_message_delta_reports_output_only()
    {
        var translator = Translator(includeUsage: true);
        var chunks = Chunks(Replay(translator, """
            event: message_start
            data: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"m","content":[],"usage":{"input_tokens":5,"cache_read_input_tokens":1000,"cache_creation_input_tokens":200,"output_tokens":1}}}

            event: content_block_start
            data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"hi"}}

            event: content_block_stop
            data: {"type":"content_block_stop","index":0}

            event: message_delta
            data: {"type":"message_delta","delta":{"stop_reason":"max_tokens","stop_sequence":null},"usage":{"output_tokens":7}}

            event: message_stop
            data: {"type":"message_stop"}


            """));

        Assert.Equal(new TokenUsage(1205, 7, CachedInput: 1000, CacheWrite: 200), translator.Usage);
        Assert.Equal("length", translator.FinishReason);
        var usage = chunks[^1].GetProperty("usage");
        Assert.Equal(1205, usage.GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(1000, usage.GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt32());
    }

    [Fact]
    public void An_error_event_sets_the_stream_error_and_writes_an_openai_error_frame_without_done()
    {
        var translator = Translator();
        var head = AnthropicPayloads.TextStream[..AnthropicPayloads.TextStream.IndexOf("event: content_block_stop", StringComparison.Ordinal)];
        var written = Replay(translator, head + AnthropicPayloads.OverloadedErrorEvent);

        var frames = Frames(written);
        Assert.DoesNotContain("[DONE]", frames);
        var error = JsonDocument.Parse(frames[^1]).RootElement.GetProperty("error");
        Assert.Equal("Overloaded", error.Str("message"));
        Assert.Equal("overloaded_error", error.Str("type"));
        Assert.Equal(JsonValueKind.Null, error.GetProperty("param").ValueKind);
        Assert.Equal(JsonValueKind.Null, error.GetProperty("code").ValueKind);
        Assert.Equal(new UpstreamError(529, "overloaded_error", "Overloaded"), translator.StreamError);
        Assert.False(translator.Completed);
    }

    [Fact]
    public void Nothing_but_complete_writes_done()
    {
        var translator = Translator();
        var output = new ArrayBufferWriter<byte>();
        foreach (var (name, data) in ParseSse(AnthropicPayloads.TextStream))
        {
            translator.OnEvent(Encoding.UTF8.GetBytes(name), Encoding.UTF8.GetBytes(data), output);
        }
        Assert.DoesNotContain("[DONE]", Encoding.UTF8.GetString(output.WrittenSpan), StringComparison.Ordinal);
        translator.Complete(output);
        Assert.EndsWith("data: [DONE]\n\n", Encoding.UTF8.GetString(output.WrittenSpan), StringComparison.Ordinal);
    }

    [Fact]
    public void A_stream_cut_before_message_stop_is_not_completed()
    {
        var translator = Translator();
        var cut = AnthropicPayloads.TextStream[..AnthropicPayloads.TextStream.IndexOf("event: message_delta", StringComparison.Ordinal)];
        Replay(translator, cut);
        Assert.False(translator.Completed);
        Assert.True(translator.SawFirstToken);
    }

    [Fact]
    public void The_first_token_is_the_first_content_not_message_start()
    {
        var translator = Translator();
        var output = new ArrayBufferWriter<byte>();
        var events = ParseSse(AnthropicPayloads.TextStream).ToList();
        translator.OnEvent("message_start"u8, Encoding.UTF8.GetBytes(events[0].Data), output);
        translator.OnEvent("content_block_start"u8, Encoding.UTF8.GetBytes(events[1].Data), output);
        translator.OnEvent("ping"u8, Encoding.UTF8.GetBytes(events[2].Data), output);
        Assert.False(translator.SawFirstToken);
        translator.OnEvent("content_block_delta"u8, Encoding.UTF8.GetBytes(events[3].Data), output);
        Assert.True(translator.SawFirstToken);
    }

    [Fact]
    public void Escaped_text_is_relayed_exactly()
    {
        var chunks = Chunks(Replay(Translator(), """
            event: message_start
            data: {"type":"message_start","message":{"id":"msg_1","model":"m","content":[],"usage":{"input_tokens":1,"output_tokens":1}}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"a \"quote\", a \\ backslash,\n a \u2603 and caf\u00e9 — ünïcode"}}


            """));

        Assert.Equal("a \"quote\", a \\ backslash,\n a ☃ and café — ünïcode", Content(chunks));
    }

    [Fact]
    public void A_malformed_event_is_a_protocol_error()
    {
        var translator = Translator();
        Assert.Throws<UpstreamProtocolException>(() =>
            translator.OnEvent("content_block_delta"u8, """{"type":"content_block_delta","index":0,"delta":{"type":"text_de"""u8, new ArrayBufferWriter<byte>()));
    }

    [Fact]
    public void Unknown_event_types_are_ignored()
    {
        var translator = Translator();
        var output = new ArrayBufferWriter<byte>();
        translator.OnEvent("some_future_event"u8, """{"type":"some_future_event","payload":{"a":[1,2]}}"""u8, output);
        Assert.Equal(0, output.WrittenCount);
    }
}
