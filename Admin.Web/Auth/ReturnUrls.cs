namespace Switchboard.Admin.Auth;

/// <summary>Keeps post-sign-in redirects on this site (no open redirect through <c>?returnUrl=</c>).</summary>
public static class ReturnUrls
{
    public static string Local(string? returnUrl) =>
        returnUrl is { Length: > 0 } url
        && url[0] == '/'
        && (url.Length == 1 || (url[1] != '/' && url[1] != '\\'))
        && !url.Contains("://", StringComparison.Ordinal)
        && !url.StartsWith("/login", StringComparison.OrdinalIgnoreCase)
            ? url
            : "/";
}
