using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Switchboard.Gateway.Providers;

// Shared by the translating adapters (Anthropic, Gemini): how an OpenAI chat.completion / chat.completion.chunk and
// the OpenAI error frame look on the wire. See RequestTranslationException.cs for why it lives in this folder.

/// <summary>Writers for the OpenAI Chat Completions shapes the translating adapters produce.</summary>
public static class OpenAiWire
{
    /// <summary>
    /// JSON bodies are not HTML: the relaxed encoder keeps non-ASCII text and '+' (base64) unescaped, which is valid
    /// JSON, smaller, and what the providers themselves send.
    /// </summary>
    public static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The <c>chatcmpl-…</c> id of an attempt.</summary>
    public static string CompletionId(string responseId) =>
        responseId.StartsWith("chatcmpl-", StringComparison.Ordinal) ? responseId : "chatcmpl-" + responseId;

    /// <summary>Writes <c>data: [DONE]</c>.</summary>
    public static void WriteDone(IBufferWriter<byte> output) => output.Write("data: [DONE]\n\n"u8);

    /// <summary>Starts an SSE frame; the JSON written after it must be flushed before <see cref="EndFrame"/>.</summary>
    public static void BeginFrame(IBufferWriter<byte> output) => output.Write("data: "u8);

    /// <summary>Ends an SSE frame.</summary>
    public static void EndFrame(IBufferWriter<byte> output) => output.Write("\n\n"u8);

    /// <summary>Opens a chunk object and writes its id, object, created and model.</summary>
    public static void WriteChunkHeader(Utf8JsonWriter writer, string id, long created, string model)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteString("id"u8, id);
        writer.WriteString("object"u8, "chat.completion.chunk"u8);
        writer.WriteNumber("created"u8, created);
        writer.WriteString("model"u8, model);
    }

    /// <summary>Writes <c>"usage": {...}</c> in the OpenAI shape.</summary>
    public static void WriteUsage(Utf8JsonWriter writer, TokenUsage usage)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(usage);
        writer.WriteStartObject("usage"u8);
        writer.WriteNumber("prompt_tokens"u8, usage.Input);
        writer.WriteNumber("completion_tokens"u8, usage.Output);
        writer.WriteNumber("total_tokens"u8, usage.Input + usage.Output);
        writer.WriteStartObject("prompt_tokens_details"u8);
        writer.WriteNumber("cached_tokens"u8, usage.CachedInput);
        writer.WriteEndObject();
        writer.WriteStartObject("completion_tokens_details"u8);
        writer.WriteNumber("reasoning_tokens"u8, usage.Reasoning);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    /// <summary>Writes a complete usage chunk frame (<c>choices: []</c>).</summary>
    public static void WriteUsageFrame(IBufferWriter<byte> output, Utf8JsonWriter writer, string id, long created, string model, TokenUsage usage)
    {
        ArgumentNullException.ThrowIfNull(writer);
        BeginFrame(output);
        writer.Reset(output);
        WriteChunkHeader(writer, id, created, model);
        writer.WriteStartArray("choices"u8);
        writer.WriteEndArray();
        WriteUsage(writer, usage);
        writer.WriteEndObject();
        writer.Flush();
        EndFrame(output);
    }

    /// <summary>
    /// Writes the OpenAI error frame <c>data: {"error":{...}}</c> that makes the official SDKs raise mid-stream.
    /// </summary>
    public static void WriteErrorFrame(IBufferWriter<byte> output, Utf8JsonWriter writer, UpstreamError error)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(error);
        BeginFrame(output);
        writer.Reset(output);
        writer.WriteStartObject();
        writer.WriteStartObject("error"u8);
        writer.WriteString("message"u8, error.Message);
        writer.WriteString("type"u8, error.Type ?? "upstream_error");
        writer.WriteNull("param"u8);
        writer.WriteNull("code"u8);
        writer.WriteEndObject();
        writer.WriteEndObject();
        writer.Flush();
        EndFrame(output);
    }

    /// <summary>The Retry-After an upstream asked for (delta seconds or an HTTP date), if any.</summary>
    public static TimeSpan? RetryAfter(HttpResponseMessage response, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(timeProvider);
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta)
        {
            return delta;
        }
        if (header?.Date is { } date)
        {
            var wait = date - timeProvider.GetUtcNow();
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }
        return null;
    }

    /// <summary>Reads at most <paramref name="limit"/> bytes of an error body: enough for any provider's error JSON.</summary>
    public static async ValueTask<byte[]> ReadBoundedAsync(HttpContent content, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        await using var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var buffer = ArrayPool<byte>.Shared.Rent(limit);
        try
        {
            var total = 0;
            int read;
            while (total < limit && (read = await stream.ReadAsync(buffer.AsMemory(total, limit - total), cancellationToken).ConfigureAwait(false)) > 0)
            {
                total += read;
            }
            return buffer.AsSpan(0, total).ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>A short, printable excerpt of a non-JSON error body.</summary>
    public static string Excerpt(ReadOnlySpan<byte> body, int maxChars = 200)
    {
        var text = System.Text.Encoding.UTF8.GetString(body.Length > maxChars * 4 ? body[..(maxChars * 4)] : body).Trim();
        return text.Length > maxChars ? text[..maxChars] : text;
    }
}
