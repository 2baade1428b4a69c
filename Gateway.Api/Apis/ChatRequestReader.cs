using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Switchboard.Gateway.Providers;

namespace Switchboard.Gateway.Apis;

/// <summary>A request that could not be accepted: status, message and the field it concerns.</summary>
internal sealed record RequestProblem(int Status, string Message, string? Param = null, string? Code = null);

/// <summary>
/// Reads the request body into one pooled buffer (bounded: larger is 413), parses it once into a pooled
/// <see cref="JsonDocument"/>, and checks the shape the Chat Completions API requires (400 naming the field).
/// </summary>
internal sealed class ChatRequestReader : IDisposable
{
    private byte[]? _buffer;

    public ChatRequest? Request { get; private set; }

    public async Task<RequestProblem?> ReadAsync(HttpContext context, long limit)
    {
        var declared = context.Request.ContentLength;
        if (declared > limit)
        {
            return TooLarge(limit);
        }
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            // Our own limit applies (and answers in the OpenAI shape).
            sizeFeature.MaxRequestBodySize = null;
        }
        var reader = context.Request.BodyReader;
        _buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(declared ?? 16 * 1024, limit) + 1);
        var length = 0;
        while (true)
        {
            var result = await reader.ReadAsync(context.RequestAborted).ConfigureAwait(false);
            var sequence = result.Buffer;
            if (length + sequence.Length > limit)
            {
                reader.AdvanceTo(sequence.End);
                return TooLarge(limit);
            }
            if (length + sequence.Length > _buffer.Length)
            {
                var bigger = ArrayPool<byte>.Shared.Rent((int)Math.Min(Math.Max(_buffer.Length * 2, length + sequence.Length), limit + 1));
                _buffer.AsSpan(0, length).CopyTo(bigger);
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = bigger;
            }
            sequence.CopyTo(_buffer.AsSpan(length));
            length += (int)sequence.Length;
            reader.AdvanceTo(sequence.End);
            if (result.IsCompleted)
            {
                break;
            }
        }
        if (length == 0)
        {
            return new(400, "The request body is empty; send a Chat Completions JSON object.", null, "invalid_request");
        }
        var body = _buffer.AsMemory(0, length);
        JsonDocument document;
        try
        {
            // 64: the depth every adapter's reader and writer accepts, so nothing deeper gets past this point.
            document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException ex)
        {
            return new(400, $"The request body is not valid JSON: {ex.Message}", null, "invalid_json");
        }
        if (!System.Text.Unicode.Utf8.IsValid(body.Span) || HasLoneSurrogateEscape(body.Span))
        {
            // The parser does not check string contents; reading them later would throw (a 500, or a 502 from an adapter).
            document.Dispose();
            return new(400, "The request body is not valid UTF-8 JSON text (invalid bytes or an unpaired \\u surrogate escape).", null, "invalid_json");
        }
        if (Validate(document.RootElement) is { } problem)
        {
            document.Dispose();
            return problem;
        }
        Request = new ChatRequest(body, document);
        return null;
    }

    /// <summary>
    /// True when a <c>\uD800</c>-<c>\uDFFF</c> escape is not part of a high-low pair. Only called on text that
    /// parsed as JSON, where a backslash can only start an escape inside a string.
    /// </summary>
    internal static bool HasLoneSurrogateEscape(ReadOnlySpan<byte> json)
    {
        var i = json.IndexOf((byte)'\\');
        while (i >= 0 && i + 1 < json.Length)
        {
            if (json[i + 1] != (byte)'u' || i + 6 > json.Length)
            {
                i += 2;
            }
            else
            {
                var unit = Hex(json.Slice(i + 2, 4));
                if (unit is >= 0xDC00 and <= 0xDFFF)
                {
                    return true;
                }
                if (unit is >= 0xD800 and <= 0xDBFF)
                {
                    if (i + 12 > json.Length || json[i + 6] != (byte)'\\' || json[i + 7] != (byte)'u' || Hex(json.Slice(i + 8, 4)) is < 0xDC00 or > 0xDFFF)
                    {
                        return true;
                    }
                    i += 12;
                }
                else
                {
                    i += 6;
                }
            }
            if (i >= json.Length)
            {
                break;
            }
            var next = json[i..].IndexOf((byte)'\\');
            i = next < 0 ? -1 : i + next;
        }
        return false;
    }

    private static int Hex(ReadOnlySpan<byte> four) =>
        System.Buffers.Text.Utf8Parser.TryParse(four, out ushort value, out var consumed, 'X') && consumed == 4 ? value : -1;

    private static RequestProblem TooLarge(long limit) =>
        new(413, $"The request body is larger than the limit of {limit} bytes.", null, "request_too_large");

    internal static RequestProblem? Validate(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return Bad("The request body must be a JSON object.", null);
        }
        if (!root.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.String || model.GetString() is not { Length: > 0 })
        {
            return Bad("'model' is required and must be a non-empty string.", "model");
        }
        if (!root.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array)
        {
            return Bad("'messages' is required and must be an array.", "messages");
        }
        if (messages.GetArrayLength() == 0)
        {
            return Bad("'messages' must contain at least one message.", "messages");
        }
        var i = 0;
        foreach (var m in messages.EnumerateArray())
        {
            if (m.ValueKind != JsonValueKind.Object)
            {
                return Bad($"'messages[{i}]' must be an object.", $"messages[{i}]");
            }
            if (!m.TryGetProperty("role", out var role) || role.ValueKind != JsonValueKind.String)
            {
                return Bad($"'messages[{i}].role' is required and must be a string.", $"messages[{i}].role");
            }
            if (m.TryGetProperty("content", out var content) && content.ValueKind is not (JsonValueKind.String or JsonValueKind.Array or JsonValueKind.Null))
            {
                return Bad($"'messages[{i}].content' must be a string, an array of content parts, or null.", $"messages[{i}].content");
            }
            if (content.ValueKind == JsonValueKind.Array)
            {
                var j = 0;
                foreach (var part in content.EnumerateArray())
                {
                    if (part.ValueKind != JsonValueKind.Object || !part.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
                    {
                        return Bad($"'messages[{i}].content[{j}]' must be a content part object with a string 'type'.", $"messages[{i}].content[{j}]");
                    }
                    j++;
                }
            }
            i++;
        }
        foreach (var p in root.EnumerateObject())
        {
            var kind = p.Value.ValueKind;
            var problem = p.Name switch
            {
                "stream" or "logprobs" or "parallel_tool_calls" or "store" when kind is not (JsonValueKind.True or JsonValueKind.False or JsonValueKind.Null) => "a boolean",
                "temperature" or "top_p" or "presence_penalty" or "frequency_penalty" when kind is not (JsonValueKind.Number or JsonValueKind.Null) => "a number",
                "max_tokens" or "max_completion_tokens" or "n" or "seed" or "top_logprobs" when kind is not (JsonValueKind.Number or JsonValueKind.Null) || (kind == JsonValueKind.Number && !p.Value.TryGetInt64(out _)) => "an integer",
                "tools" or "functions" when kind is not (JsonValueKind.Array or JsonValueKind.Null) => "an array",
                "stream_options" or "response_format" or "metadata" or "logit_bias" or "thinking" when kind is not (JsonValueKind.Object or JsonValueKind.Null) => "an object",
                "stop" when kind is not (JsonValueKind.String or JsonValueKind.Array or JsonValueKind.Null) => "a string or an array of strings",
                "user" when kind is not (JsonValueKind.String or JsonValueKind.Null) => "a string",
                "tool_choice" when kind is not (JsonValueKind.String or JsonValueKind.Object or JsonValueKind.Null) => "a string or an object",
                _ => null,
            };
            if (problem is not null)
            {
                return Bad($"'{p.Name}' must be {problem}.", p.Name);
            }
        }
        if (root.TryGetProperty("n", out var n) && n.ValueKind == JsonValueKind.Number && n.GetInt64() < 1)
        {
            return Bad("'n' must be at least 1.", "n");
        }
        return null;
    }

    private static RequestProblem Bad(string message, string? param) => new(400, message, param, "invalid_request");

    public void Dispose()
    {
        Request?.Dispose();
        if (_buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = null;
        }
    }
}
