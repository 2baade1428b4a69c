using System.Text.Json;

namespace Switchboard.Gateway.Providers.Anthropic;

/// <summary>Reads Anthropic error bodies: <c>{"type":"error","error":{"type":"...","message":"..."}}</c>.</summary>
public static class AnthropicErrors
{
    /// <summary>Parses an error body of an upstream answer with HTTP <paramref name="status"/>.</summary>
    public static UpstreamError Parse(int status, ReadOnlySpan<byte> body, TimeSpan? retryAfter)
    {
        string? type = null;
        string? message = null;
        try
        {
            var reader = new Utf8JsonReader(body);
            using var document = JsonDocument.ParseValue(ref reader);
            if (document.RootElement.TryGet("error"u8, out var error) && error.ValueKind == JsonValueKind.Object)
            {
                type = error.TryGetString("type"u8, out var t) ? t.GetString() : null;
                message = error.TryGetString("message"u8, out var m) ? m.GetString() : null;
            }
        }
        catch (JsonException)
        {
            // not JSON (a proxy's HTML page, a truncated body): fall through to the status-based error
        }
        type ??= TypeForStatus(status);
        message ??= body.IsEmpty ? $"Anthropic returned HTTP {status}." : $"Anthropic returned HTTP {status}: {OpenAiWire.Excerpt(body)}";
        return new UpstreamError(status, type, message, retryAfter);
    }

    /// <summary>The HTTP status Anthropic documents for an error type (used for errors inside a stream).</summary>
    public static int StatusForType(ReadOnlySpan<byte> type) =>
        type.SequenceEqual("invalid_request_error"u8) ? 400
        : type.SequenceEqual("authentication_error"u8) ? 401
        : type.SequenceEqual("billing_error"u8) ? 402
        : type.SequenceEqual("permission_error"u8) ? 403
        : type.SequenceEqual("not_found_error"u8) ? 404
        : type.SequenceEqual("request_too_large"u8) ? 413
        : type.SequenceEqual("rate_limit_error"u8) ? 429
        : type.SequenceEqual("timeout_error"u8) ? 504
        : type.SequenceEqual("overloaded_error"u8) ? 529
        : 500; // api_error and anything new

    private static string TypeForStatus(int status) => status switch
    {
        400 => "invalid_request_error",
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        529 => "overloaded_error",
        _ => "api_error",
    };
}
