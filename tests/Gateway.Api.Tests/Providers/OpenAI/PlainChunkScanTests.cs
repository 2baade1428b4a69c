using System.Text;
using Switchboard.Gateway.Providers;
using Switchboard.Gateway.Providers.OpenAI;

namespace Switchboard.Gateway.Tests.Providers.OpenAI;

/// <summary>
/// The mid-stream fast path must agree with the full scan: whatever it accepts, the full scan finds nothing for
/// accounting in it but the same text; whatever could matter, it leaves to the full scan.
/// </summary>
public sealed class PlainChunkScanTests
{
    public static TheoryData<string> Plain() =>
    [
        """{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-2024-08-06","service_tier":"default","system_fingerprint":"fp_1","choices":[{"index":0,"delta":{"content":" world"},"logprobs":null,"finish_reason":null}]}""",
        // include_usage: OpenAI sends "usage":null on every chunk but the last.
        """{"id":"c","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}],"usage":null}""",
        // Python's json.dumps separators (vLLM, many OpenAI-compatible servers).
        """{"id": "c", "choices": [{"index": 0, "delta": {"content": "Hi there"}, "finish_reason": null}], "usage": null}""",
        // Escapes, including quotes that spell key names and a string ending in an escaped backslash.
        """{"choices":[{"index":0,"delta":{"content":"He said \"usage\": 5, \"error\" \\ and\nmore \u00e9 \\"},"finish_reason":null}]}""",
        """{"choices":[{"index":0,"delta":{"content":null},"finish_reason":null}]}""",
        """{"choices":[{"index":0,"delta":{"content":""},"finish_reason":null}]}""",
        "  {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"}}]}\r\n",
        // n=2: the first choice's text is the one kept, by both scans; logprobs carry a "content" of their own.
        """{"choices":[{"index":0,"delta":{"content":"a"},"finish_reason":null},{"index":1,"delta":{"content":"b"},"finish_reason":null}]}""",
        """{"choices":[{"index":0,"delta":{"content":"a"},"logprobs":{"content":[{"token":"a","logprob":-0.1}]},"finish_reason":null}]}""",
        """{"choices":[{"index":0,"delta": { "content" : "spaced" } ,"finish_reason":null}]}""",
    ];

    public static TheoryData<string> NotPlain() =>
    [
        """{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}""",
        """{"choices":[{"index":0,"delta":{"content":"a"},"finish_reason": "length"}]}""",
        """{"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":2}}""",
        """{"choices":[{"index":0,"delta":{"content":"a"}}],"usage": {"prompt_tokens":5}}""",
        """{"error":{"message":"overloaded","type":"server_error"}}""",
        """{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"a\":"}}]}}]}""",
        """{"choices":[{"index":0,"delta":{"function_call":{"arguments":"{}"}}}]}""",
        """{"choices":[{"index":0,"delta":{"content":null,"reasoning_content":"Let me think"}}]}""",
        """{"choices":[{"index":0,"delta":{"reasoning":"Let me think"}}]}""",
        """{"choices":[{"index":0,"delta":{"refusal":"No."}}]}""",
        // The delta holds more than content: the full scan reads it.
        """{"choices":[{"index":0,"delta":{"role":"assistant","content":"a"}}]}""",
        """{"choices":[{"index":0,"delta":{"content":"a","tool_calls":[]}}]}""",
        // A value that spells a key name is not taken for the key: the full scan reads it.
        """{"choices":[{"index":0,"delta":{"content":"usage"},"finish_reason":null}]}""",
        """{"choices":[{"index":0,"message":{"content":"a"}}]}""",
        """{"choices":[{"index":0,"delta":{"content":"unterminated}]}""",
        """[1,2]""",
    ];

    [Theory]
    [MemberData(nameof(Plain))]
    public void A_plain_chunk_is_recognised_and_its_text_is_what_the_full_scan_reads(string chunk)
    {
        var bytes = Encoding.UTF8.GetBytes(chunk);
        using var fast = new OutputTextCapture();
        using var full = new OutputTextCapture();

        Assert.True(OpenAIJsonScanner.TryScanPlainChunk(bytes, fast));
        var scan = OpenAIJsonScanner.ScanChunk(bytes, full);

        Assert.Null(scan.Usage);
        Assert.Null(scan.FinishReason);
        Assert.False(scan.HasError);
        Assert.True(scan.Choices >= 1);
        Assert.Equal(full.Text, fast.Text);
    }

    [Theory]
    [MemberData(nameof(NotPlain))]
    public void A_chunk_that_may_matter_is_left_to_the_full_scan(string chunk)
    {
        using var capture = new OutputTextCapture();
        Assert.False(OpenAIJsonScanner.TryScanPlainChunk(Encoding.UTF8.GetBytes(chunk), capture));
        Assert.Equal("", capture.Text);
    }

    [Fact]
    public void A_whole_stream_reads_the_same_with_the_fast_path()
    {
        string[] chunks =
        [
            """{"id":"c","model":"gpt-4o-2024-08-06","choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"finish_reason":null}],"usage":null}""",
            """{"id":"c","model":"gpt-4o-2024-08-06","choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}],"usage":null}""",
            """{"id":"c","model":"gpt-4o-2024-08-06","choices":[{"index":0,"delta":{"content":"lo \"you\""},"finish_reason":null}],"usage":null}""",
            """{"id":"c","model":"gpt-4o-2024-08-06","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"x\":1}"}}]},"finish_reason":null}],"usage":null}""",
            """{"id":"c","model":"gpt-4o-2024-08-06","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":null}""",
        ];
        var translator = new OpenAIStreamTranslator(includeUsage: false);
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        foreach (var c in chunks)
        {
            translator.OnEvent(default, Encoding.UTF8.GetBytes(c), output);
        }
        translator.OnEvent(default, "[DONE]"u8, output);

        // Every chunk relayed byte for byte; text (and tool arguments) captured for counting; the end read.
        Assert.Equal(string.Concat(chunks.Select(c => "data: " + c + "\n\n")), Encoding.UTF8.GetString(output.WrittenSpan));
        Assert.Equal("Hello \"you\"{\"x\":1}", translator.CapturedText);
        Assert.True(translator.SawFirstToken);
        Assert.True(translator.Completed);
        Assert.Equal("stop", translator.FinishReason);
        Assert.Equal("gpt-4o-2024-08-06", translator.ReportedModel);
        Assert.Null(translator.Usage);
        translator.Dispose();
    }
}
