namespace Switchboard.Gateway.Keys;

/// <summary>Reads the gateway key from <c>Authorization: Bearer</c> or <c>api-key</c> and checks it.</summary>
internal static class KeyAuthentication
{
    /// <summary>True when the request may proceed; <paramref name="key"/> is null when no key is required.</summary>
    public static bool TryAuthenticate(HttpRequest request, KeyTable keys, out GatewayKey? key)
    {
        key = null;
        if (!keys.Required)
        {
            return true;
        }
        var presented = Presented(request, out var header);
        key = keys.Find(header, presented);
        return key is not null;
    }

    /// <summary>The key presented, and the header value it was cut from (null when there is none).</summary>
    private static ReadOnlySpan<char> Presented(HttpRequest request, out string? header)
    {
        var auth = request.Headers.Authorization;
        if (auth.Count > 0 && auth[0] is { } a)
        {
            var span = a.AsSpan().Trim();
            if (span.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            {
                header = a;
                return span[7..].Trim();
            }
        }
        var apiKey = request.Headers["api-key"];
        header = apiKey.Count > 0 ? apiKey[0] : null;
        return header is { } k ? k.AsSpan().Trim() : default;
    }
}
