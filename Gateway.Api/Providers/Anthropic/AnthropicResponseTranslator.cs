using System.Text;
using System.Text.Json;

namespace Switchboard.Gateway.Providers.Anthropic;

/// <summary>Translates an Anthropic <c>message</c> object into an OpenAI <c>chat.completion</c>. Data in, data out.</summary>
public static class AnthropicResponseTranslator
{
    /// <summary>Translates the parsed Anthropic message <paramref name="message"/>.</summary>
    public static TranslatedCompletion Translate(JsonElement message, AttemptContext attempt)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        if (message.ValueKind != JsonValueKind.Object || !message.TryGetProperty("content"u8, out var content)
            || content.ValueKind != JsonValueKind.Array)
        {
            throw new UpstreamProtocolException("Anthropic message has no 'content' array.");
        }
        var model = message.TryGetString("model"u8, out var m) ? m.GetString()! : null;
        var usage = message.TryGet("usage"u8, out var u) ? ReadUsage(u, default) : null;
        var finish = MapStopReason(message.TryGetString("stop_reason"u8, out var sr) ? sr : default);

        // Text and thinking are concatenated; the common single-block case is written without a copy.
        JsonElement singleText = default, singleThinking = default;
        StringBuilder? text = null, thinking = null;
        var toolCalls = 0;
        foreach (var block in content.EnumerateArray())
        {
            if (!block.TryGetString("type"u8, out var type))
            {
                continue;
            }
            if (type.ValueEquals("text"u8) && block.TryGetString("text"u8, out var t))
            {
                Accumulate(ref singleText, ref text, t);
            }
            else if (type.ValueEquals("thinking"u8) && block.TryGetString("thinking"u8, out var th))
            {
                Accumulate(ref singleThinking, ref thinking, th);
            }
            else if (type.ValueEquals("tool_use"u8))
            {
                toolCalls++;
            }
        }

        using var buffer = new PooledBufferWriter();
        using (var writer = new Utf8JsonWriter(buffer, OpenAiWire.WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("id"u8, OpenAiWire.CompletionId(attempt.ResponseId));
            writer.WriteString("object"u8, "chat.completion"u8);
            writer.WriteNumber("created"u8, attempt.CreatedUnix);
            writer.WriteString("model"u8, model ?? attempt.Model);
            writer.WriteStartArray("choices"u8);
            writer.WriteStartObject();
            writer.WriteNumber("index"u8, 0);
            writer.WriteStartObject("message"u8);
            writer.WriteString("role"u8, "assistant"u8);
            writer.WritePropertyName("content"u8);
            if (text is not null)
            {
                writer.WriteStringValue(text.ToString());
            }
            else if (singleText.ValueKind == JsonValueKind.String)
            {
                singleText.WriteTo(writer);
            }
            else if (toolCalls > 0)
            {
                writer.WriteNullValue();
            }
            else
            {
                writer.WriteStringValue(""u8);
            }
            if (thinking is not null)
            {
                writer.WriteString("reasoning_content"u8, thinking.ToString());
            }
            else if (singleThinking.ValueKind == JsonValueKind.String)
            {
                writer.WritePropertyName("reasoning_content"u8);
                singleThinking.WriteTo(writer);
            }
            if (toolCalls > 0)
            {
                writer.WriteStartArray("tool_calls"u8);
                foreach (var block in content.EnumerateArray())
                {
                    if (!block.TryGetString("type"u8, out var type) || !type.ValueEquals("tool_use"u8))
                    {
                        continue;
                    }
                    writer.WriteStartObject();
                    writer.WritePropertyName("id"u8);
                    (block.TryGetString("id"u8, out var id) ? id : throw new UpstreamProtocolException("Anthropic tool_use block has no id.")).WriteTo(writer);
                    writer.WriteString("type"u8, "function"u8);
                    writer.WriteStartObject("function"u8);
                    writer.WritePropertyName("name"u8);
                    (block.TryGetString("name"u8, out var name) ? name : throw new UpstreamProtocolException("Anthropic tool_use block has no name.")).WriteTo(writer);
                    // OpenAI carries arguments as JSON text in a string.
                    writer.WriteString("arguments"u8, block.TryGet("input"u8, out var input) ? System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(input) : "{}"u8);
                    writer.WriteEndObject();
                    writer.WriteEndObject();
                }
                writer.WriteEndArray();
            }
            writer.WriteNull("refusal"u8);
            writer.WriteEndObject();
            writer.WriteNull("logprobs"u8);
            writer.WriteString("finish_reason"u8, finish);
            writer.WriteEndObject();
            writer.WriteEndArray();
            if (usage is not null)
            {
                OpenAiWire.WriteUsage(writer, usage);
            }
            writer.WriteEndObject();
        }
        return new TranslatedCompletion(buffer.ToArray(), usage, model, finish);
    }

    /// <summary>
    /// Reads an Anthropic <c>usage</c> object. Anthropic's input_tokens excludes cached tokens, OpenAI's prompt_tokens
    /// includes them, so prompt = input + cache read + cache write.
    /// </summary>
    public static TokenUsage ReadUsage(JsonElement usage, TokenUsage? previous)
    {
        var input = Int(usage, "input_tokens"u8, -1);
        var cacheRead = Int(usage, "cache_read_input_tokens"u8, -1);
        var cacheWrite = Int(usage, "cache_creation_input_tokens"u8, -1);
        var output = Int(usage, "output_tokens"u8, -1);
        // message_delta usage is cumulative but may omit input fields: keep what message_start said.
        var inputBase = input >= 0 ? input : (previous is null ? 0 : previous.Input - previous.CachedInput - previous.CacheWrite);
        cacheRead = cacheRead >= 0 ? cacheRead : previous?.CachedInput ?? 0;
        cacheWrite = cacheWrite >= 0 ? cacheWrite : previous?.CacheWrite ?? 0;
        output = output >= 0 ? output : previous?.Output ?? 0;
        return new TokenUsage(inputBase + cacheRead + cacheWrite, output, cacheRead, cacheWrite);
    }

    /// <summary>Anthropic stop_reason to OpenAI finish_reason.</summary>
    public static string MapStopReason(JsonElement stopReason) => stopReason.ValueKind != JsonValueKind.String ? "stop"
        : stopReason.ValueEquals("max_tokens"u8) || stopReason.ValueEquals("model_context_window_exceeded"u8) ? "length"
        : stopReason.ValueEquals("tool_use"u8) ? "tool_calls"
        : stopReason.ValueEquals("refusal"u8) ? "content_filter"
        : "stop"; // end_turn, stop_sequence, pause_turn

    private static int Int(JsonElement obj, ReadOnlySpan<byte> name, int missing) =>
        obj.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i) ? i : missing;

    private static void Accumulate(ref JsonElement single, ref StringBuilder? many, JsonElement value)
    {
        if (many is not null)
        {
            many.Append(value.GetString());
        }
        else if (single.ValueKind == JsonValueKind.String)
        {
            many = new StringBuilder(single.GetString()).Append(value.GetString());
        }
        else
        {
            single = value;
        }
    }
}
