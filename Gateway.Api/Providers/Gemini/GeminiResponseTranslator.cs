using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Switchboard.Gateway.Providers.Gemini;

/// <summary>
/// Translates a Gemini <c>GenerateContentResponse</c> into an OpenAI <c>chat.completion</c>, one choice per
/// candidate. Data in, data out.
/// </summary>
public static class GeminiResponseTranslator
{
    /// <summary>Translates the parsed response <paramref name="response"/>.</summary>
    public static TranslatedCompletion Translate(JsonElement response, AttemptContext attempt)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        if (response.ValueKind != JsonValueKind.Object)
        {
            throw new UpstreamProtocolException("Gemini response is not a JSON object.");
        }
        var model = response.TryGetString("modelVersion"u8, out var mv) ? mv.GetString() : null;
        var usage = response.TryGet("usageMetadata"u8, out var um) ? ReadUsage(um) : null;
        var hasCandidates = response.TryGet("candidates"u8, out var candidates) && candidates.ValueKind == JsonValueKind.Array
            && candidates.GetArrayLength() > 0;
        var blocked = response.TryGet("promptFeedback"u8, out var feedback) && feedback.TryGetString("blockReason"u8, out _);
        if (!hasCandidates && !blocked)
        {
            throw new UpstreamProtocolException("Gemini response has neither candidates nor a prompt block reason.");
        }
        var callPrefix = ToolCallPrefix(attempt.ResponseId);

        string? firstFinish = null;
        using var buffer = new PooledBufferWriter();
        using (var writer = new Utf8JsonWriter(buffer, OpenAiWire.WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("id"u8, OpenAiWire.CompletionId(attempt.ResponseId));
            writer.WriteString("object"u8, "chat.completion"u8);
            writer.WriteNumber("created"u8, attempt.CreatedUnix);
            writer.WriteString("model"u8, model ?? attempt.Model);
            writer.WriteStartArray("choices"u8);
            if (hasCandidates)
            {
                var position = 0;
                foreach (var candidate in candidates.EnumerateArray())
                {
                    var finish = WriteChoice(writer, candidate, position++, callPrefix);
                    firstFinish ??= finish;
                }
            }
            else
            {
                // The prompt itself was blocked: one empty, filtered choice, as OpenAI answers a moderated prompt.
                firstFinish = "content_filter";
                writer.WriteStartObject();
                writer.WriteNumber("index"u8, 0);
                writer.WriteStartObject("message"u8);
                writer.WriteString("role"u8, "assistant"u8);
                writer.WriteString("content"u8, ""u8);
                writer.WriteNull("refusal"u8);
                writer.WriteEndObject();
                writer.WriteNull("logprobs"u8);
                writer.WriteString("finish_reason"u8, firstFinish);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            if (usage is not null)
            {
                OpenAiWire.WriteUsage(writer, usage);
            }
            writer.WriteEndObject();
        }
        return new TranslatedCompletion(buffer.ToArray(), usage, model, firstFinish);
    }

    private static string WriteChoice(Utf8JsonWriter writer, JsonElement candidate, int position, string callPrefix)
    {
        var index = candidate.TryGet("index"u8, out var ix) && ix.TryGetInt32(out var i) ? i : position;
        var parts = candidate.TryGet("content"u8, out var content) && content.TryGet("parts"u8, out var p) ? p : default;
        var hasParts = parts.ValueKind == JsonValueKind.Array;
        StringBuilder? text = null, thought = null;
        var calls = 0;
        if (hasParts)
        {
            foreach (var part in parts.EnumerateArray())
            {
                if (part.TryGetString("text"u8, out var t))
                {
                    var isThought = part.TryGetProperty("thought"u8, out var th) && th.ValueKind == JsonValueKind.True;
                    (isThought ? thought ??= new StringBuilder() : text ??= new StringBuilder()).Append(t.GetString());
                }
                else if (part.TryGet("functionCall"u8, out _))
                {
                    calls++;
                }
            }
        }
        var finish = MapFinishReason(candidate.TryGetString("finishReason"u8, out var fr) ? JsonText.Utf8(fr) : default, calls > 0);

        writer.WriteStartObject();
        writer.WriteNumber("index"u8, index);
        writer.WriteStartObject("message"u8);
        writer.WriteString("role"u8, "assistant"u8);
        if (text is not null)
        {
            writer.WriteString("content"u8, text.ToString());
        }
        else if (calls > 0)
        {
            writer.WriteNull("content"u8);
        }
        else
        {
            writer.WriteString("content"u8, ""u8);
        }
        if (thought is not null)
        {
            writer.WriteString("reasoning_content"u8, thought.ToString());
        }
        if (calls > 0)
        {
            writer.WriteStartArray("tool_calls"u8);
            var k = 0;
            foreach (var part in parts.EnumerateArray())
            {
                if (part.TryGet("functionCall"u8, out var call))
                {
                    WriteToolCall(writer, call, index, k++, callPrefix, streaming: false);
                }
            }
            writer.WriteEndArray();
        }
        writer.WriteNull("refusal"u8);
        writer.WriteEndObject();
        writer.WriteNull("logprobs"u8);
        writer.WriteString("finish_reason"u8, finish);
        writer.WriteEndObject();
        return finish;
    }

    /// <summary>Writes one OpenAI tool call object from a Gemini <c>functionCall</c> (whole, never fragmented).</summary>
    public static void WriteToolCall(Utf8JsonWriter writer, JsonElement call, int candidate, int toolIndex, string callPrefix, bool streaming)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        if (streaming)
        {
            writer.WriteNumber("index"u8, toolIndex);
        }
        if (call.TryGetString("id"u8, out var id))
        {
            writer.WritePropertyName("id"u8);
            id.WriteTo(writer);
        }
        else
        {
            // Gemini (before 2.5) gives calls no id; OpenAI clients need one to answer with a tool message.
            writer.WriteString("id"u8, candidate == 0 ? $"{callPrefix}{toolIndex}" : $"{callPrefix}{candidate}_{toolIndex}");
        }
        writer.WriteString("type"u8, "function"u8);
        writer.WriteStartObject("function"u8);
        writer.WritePropertyName("name"u8);
        (call.TryGetString("name"u8, out var name) ? name : throw new UpstreamProtocolException("Gemini functionCall has no name.")).WriteTo(writer);
        writer.WriteString("arguments"u8, call.TryGet("args"u8, out var args) ? JsonMarshal.GetRawUtf8Value(args) : "{}"u8);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    /// <summary>
    /// The prefix of the tool-call ids generated for one response: unique per response and deterministic. The
    /// response id may come from the client's x-request-id, so only [A-Za-z0-9_-] is kept (Anthropic's id pattern,
    /// should the conversation later go to an Anthropic provider).
    /// </summary>
    public static string ToolCallPrefix(string responseId)
    {
        ArgumentNullException.ThrowIfNull(responseId);
        var id = responseId.StartsWith("chatcmpl-", StringComparison.Ordinal) ? responseId.AsSpan("chatcmpl-".Length) : responseId.AsSpan();
        Span<char> kept = stackalloc char[32];
        var n = 0;
        foreach (var c in id)
        {
            if (n == kept.Length)
            {
                break;
            }
            if (char.IsAsciiLetterOrDigit(c) || c is '_' or '-')
            {
                kept[n++] = c;
            }
        }
        return $"call_{kept[..n]}_";
    }

    /// <summary>
    /// Reads <c>usageMetadata</c>. Gemini's candidatesTokenCount excludes thinking; OpenAI's completion_tokens
    /// includes reasoning, so output = candidates + thoughts. promptTokenCount already includes cached tokens.
    /// </summary>
    public static TokenUsage ReadUsage(JsonElement usage)
    {
        var prompt = Int(usage, "promptTokenCount"u8) + Int(usage, "toolUsePromptTokenCount"u8);
        var candidates = Int(usage, "candidatesTokenCount"u8);
        var thoughts = Int(usage, "thoughtsTokenCount"u8);
        var cached = Int(usage, "cachedContentTokenCount"u8);
        return new TokenUsage(prompt, candidates + thoughts, cached, 0, thoughts);
    }

    /// <summary>Gemini finishReason to OpenAI finish_reason.</summary>
    public static string MapFinishReason(ReadOnlySpan<byte> reason, bool calledFunction) =>
        reason.SequenceEqual("MAX_TOKENS"u8) ? "length"
        : reason.SequenceEqual("SAFETY"u8) || reason.SequenceEqual("RECITATION"u8) || reason.SequenceEqual("BLOCKLIST"u8)
          || reason.SequenceEqual("PROHIBITED_CONTENT"u8) || reason.SequenceEqual("SPII"u8) || reason.SequenceEqual("IMAGE_SAFETY"u8)
            ? "content_filter"
        : calledFunction ? "tool_calls"
        : "stop"; // STOP, OTHER, LANGUAGE, MALFORMED_FUNCTION_CALL, FINISH_REASON_UNSPECIFIED

    private static int Int(JsonElement obj, ReadOnlySpan<byte> name) =>
        obj.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i) ? i : 0;
}
