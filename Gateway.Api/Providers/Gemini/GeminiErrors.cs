using System.Globalization;
using System.Text.Json;

namespace Switchboard.Gateway.Providers.Gemini;

/// <summary>Reads Google API error bodies: <c>{"error":{"code":429,"message":"...","status":"RESOURCE_EXHAUSTED","details":[...]}}</c>.</summary>
public static class GeminiErrors
{
    /// <summary>Parses an error body of an upstream answer with HTTP <paramref name="status"/>.</summary>
    public static UpstreamError Parse(int status, ReadOnlySpan<byte> body, TimeSpan? retryAfter)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            // streamGenerateContent without alt=sse answers errors as a JSON array of one element.
            if (root.ValueKind == JsonValueKind.Array && root.GetArrayLength() > 0)
            {
                root = root[0];
            }
            if (root.TryGet("error"u8, out var error) && error.ValueKind == JsonValueKind.Object)
            {
                return FromError(error, status, retryAfter);
            }
        }
        catch (JsonException)
        {
            // not JSON: fall through
        }
        var message = body.IsEmpty ? $"Gemini returned HTTP {status}." : $"Gemini returned HTTP {status}: {OpenAiWire.Excerpt(body)}";
        return new UpstreamError(status, TypeForStatus(status), message, retryAfter);
    }

    /// <summary>Reads one <c>error</c> object (also used for errors sent inside a stream).</summary>
    public static UpstreamError FromError(JsonElement error, int status, TimeSpan? retryAfter)
    {
        if (status == 0 && error.TryGet("code"u8, out var code) && code.TryGetInt32(out var c))
        {
            status = c;
        }
        var type = error.TryGetString("status"u8, out var s) ? s.GetString() : TypeForStatus(status);
        var message = error.TryGetString("message"u8, out var m) ? m.GetString()! : $"Gemini returned HTTP {status}.";
        return new UpstreamError(status, type, message, retryAfter ?? RetryDelay(error));
    }

    // google.rpc.RetryInfo in details: {"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"37s"}
    private static TimeSpan? RetryDelay(JsonElement error)
    {
        if (!error.TryGet("details"u8, out var details) || details.ValueKind != JsonValueKind.Array)
        {
            return null;
        }
        foreach (var detail in details.EnumerateArray())
        {
            if (detail.TryGetString("retryDelay"u8, out var delay))
            {
                var text = delay.GetString()!;
                if (text.EndsWith('s') && double.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
                {
                    return TimeSpan.FromSeconds(seconds);
                }
            }
        }
        return null;
    }

    private static string TypeForStatus(int status) => status switch
    {
        400 => "INVALID_ARGUMENT",
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        429 => "RESOURCE_EXHAUSTED",
        503 => "UNAVAILABLE",
        504 => "DEADLINE_EXCEEDED",
        _ => "INTERNAL",
    };
}
