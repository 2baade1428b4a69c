namespace Switchboard.Gateway.Providers;

// Shared by the translating adapters; see RequestTranslationException.cs for why it lives in this folder.

/// <summary>Splits <c>data:&lt;media type&gt;;base64,&lt;data&gt;</c> URLs without copying the (often large) payload.</summary>
public static class DataUrl
{
    /// <summary>True when <paramref name="url"/> is a base64 data URL; outputs slices of it.</summary>
    public static bool TryParse(ReadOnlySpan<byte> url, out ReadOnlySpan<byte> mediaType, out ReadOnlySpan<byte> base64)
    {
        mediaType = default;
        base64 = default;
        if (!url.StartsWith("data:"u8))
        {
            return false;
        }
        var comma = url.IndexOf((byte)',');
        if (comma < 0)
        {
            return false;
        }
        var header = url[5..comma];
        if (!header.EndsWith(";base64"u8))
        {
            return false;
        }
        header = header[..^7];
        // Parameters such as ";charset=..." may precede ";base64": the media type is what comes before the first ';'.
        var semicolon = header.IndexOf((byte)';');
        mediaType = semicolon >= 0 ? header[..semicolon] : header;
        base64 = url[(comma + 1)..];
        return mediaType.Length > 0;
    }

    /// <summary>True when <paramref name="url"/> is an absolute http(s) URL.</summary>
    public static bool IsHttp(ReadOnlySpan<byte> url) =>
        url.StartsWith("https://"u8) || url.StartsWith("http://"u8);
}
