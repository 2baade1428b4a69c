namespace Switchboard.Gateway.Configuration;

/// <summary>
/// Resolves the credential forms of the routing document: a literal, <c>env:NAME</c> (configuration, so
/// environment variables), <c>file:/path</c> (re-read when the provider refuses it) and <c>secret:NAME</c>
/// (configuration <c>Secrets:NAME</c>, the secret store for now).
/// </summary>
internal sealed class CredentialResolver(IConfiguration configuration)
{
    public string? Resolve(string? reference)
    {
        if (string.IsNullOrEmpty(reference))
        {
            return null;
        }
        if (reference.StartsWith("env:", StringComparison.Ordinal))
        {
            return NullIfEmpty(configuration[reference[4..]]);
        }
        if (reference.StartsWith("secret:", StringComparison.Ordinal))
        {
            return NullIfEmpty(configuration[$"Secrets:{reference[7..]}"]);
        }
        if (reference.StartsWith("file:", StringComparison.Ordinal))
        {
            try
            {
                return NullIfEmpty(File.ReadAllText(reference[5..]).Trim());
            }
            catch (IOException)
            {
                return null;
            }
            catch (UnauthorizedAccessException)
            {
                return null;
            }
        }
        return reference;
    }

    /// <summary>True when the reference can change while running (re-read on 401/403).</summary>
    public static bool IsRefreshable(string? reference) =>
        reference is not null && reference.StartsWith("file:", StringComparison.Ordinal);

    public string? Variable(string name) => configuration[name];

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;
}
