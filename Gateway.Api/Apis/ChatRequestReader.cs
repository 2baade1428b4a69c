using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Switchboard.Gateway.Providers;

namespace Switchboard.Gateway.Apis;

/// <summary>A request that could not be accepted: status, message and the field it concerns.</summary>
internal sealed record RequestProblem(int Status, string Message, string? Param = null, string? Code = null);

/// <summary>
/// Reads the request body into one pooled buffer (bounded: larger is 413) and checks, in one forward pass of a
/// <see cref="Utf8JsonReader"/> (no JSON DOM), that it is JSON of the shape the Chat Completions API requires
/// (400 naming the field).
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
        if (!System.Text.Unicode.Utf8.IsValid(body.Span) || HasLoneSurrogateEscape(body.Span))
        {
            // The reader does not check string contents; reading them later would throw (a 500, or a 502 from an adapter).
            return new(400, "The request body is not valid UTF-8 JSON text (invalid bytes or an unpaired \\u surrogate escape).", null, "invalid_json");
        }
        RequestShape shape;
        try
        {
            shape = RequestShape.Read(body.Span);
        }
        catch (JsonException ex)
        {
            return new(400, $"The request body is not valid JSON: {ex.Message}", null, "invalid_json");
        }
        if (shape.Problem is { } problem)
        {
            return problem;
        }
        Request = new ChatRequest(body, shape.Model!, shape.Stream, shape.IncludeUsage);
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

    internal static RequestProblem Bad(string message, string? param) => new(400, message, param, "invalid_request");

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
