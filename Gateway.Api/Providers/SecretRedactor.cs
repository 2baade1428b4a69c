using System.Text.RegularExpressions;

namespace Switchboard.Gateway.Providers;

/// <summary>
/// Takes credentials out of upstream error text before it reaches a client or an outcome event: a provider's
/// 4xx body can echo the key it was sent (in full, or in a header dump), and a proxy in front of it may echo
/// headers. Removes the attempt's own credential and extra header values wherever they appear, and anything
/// shaped like a key: <c>Bearer …</c>, <c>sk-…</c> / <c>sk-ant-…</c> / <c>rk-…</c>, Google <c>AIza…</c> keys,
/// <c>key=</c> query parameters and <c>x-api-key:</c>-style header echoes.
/// </summary>
public static partial class SecretRedactor
{
    /// <summary>What stands where a secret was.</summary>
    public const string Mask = "[redacted]";

    /// <summary>The text without any secret of <paramref name="endpoint"/> nor anything shaped like a key.</summary>
    public static string Redact(string text, ProviderEndpoint? endpoint)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length == 0)
        {
            return text;
        }
        if (endpoint?.ApiKey is { Length: >= 6 } key)
        {
            text = text.Replace(key, Mask, StringComparison.Ordinal);
        }
        if (endpoint?.Headers is { } headers)
        {
            foreach (var value in headers.Values)
            {
                if (value.Length >= 12)
                {
                    text = text.Replace(value, Mask, StringComparison.Ordinal);
                }
            }
        }
        text = Bearer().Replace(text, "$1" + Mask);
        text = Named().Replace(text, "$1" + Mask);
        text = Shaped().Replace(text, Mask);
        return text;
    }

    /// <summary>The same error with its message redacted.</summary>
    public static UpstreamError Redact(UpstreamError error, ProviderEndpoint? endpoint)
    {
        ArgumentNullException.ThrowIfNull(error);
        var message = Redact(error.Message, endpoint);
        return ReferenceEquals(message, error.Message) || message == error.Message ? error : error with { Message = message };
    }

    [GeneratedRegex(@"(?i)(\b(?:bearer|basic)\s+)[A-Za-z0-9._~+/=\-]{8,}")]
    private static partial Regex Bearer();

    // key=..., api_key: "...", x-api-key: ..., x-goog-api-key=..., "authorization": "..."
    [GeneratedRegex(@"(?i)(\b(?:x-goog-api-key|x-api-key|api[-_]?key|access[-_]token|authorization|key)\b[""']?\s*[:=]\s*[""']?)(?!\[redacted\])[^\s""'&,;}]{8,}")]
    private static partial Regex Named();

    [GeneratedRegex(@"\b(?:sk|rk|pk)-[A-Za-z0-9_\-]{16,}|\bAIza[0-9A-Za-z_\-]{20,}")]
    private static partial Regex Shaped();
}
