using System.Net.Http.Headers;
using System.Text.Json;
using Azure;
using Azure.Security.KeyVault.Secrets;

namespace Switchboard.Router.Credentials;

/// <summary>A place provider keys are read from. Read on every refresh: a source may change at run time.</summary>
internal interface ISecretSource
{
    /// <summary>The secret's current value, or null when it is not there.</summary>
    Task<string?> GetAsync(string name, CancellationToken ct);
}

/// <summary><c>env:NAME</c>: the process environment (read live), then configuration.</summary>
internal sealed class EnvironmentSecretSource(IConfiguration configuration) : ISecretSource
{
    public Task<string?> GetAsync(string name, CancellationToken ct) =>
        Task.FromResult(NullIfEmpty(Environment.GetEnvironmentVariable(name)) ?? NullIfEmpty(configuration[name]));

    internal static string? NullIfEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();
}

/// <summary><c>file:/path</c>: a mounted file (Kubernetes/ACA secret volume), re-read on every refresh.</summary>
internal sealed class FileSecretSource : ISecretSource
{
    public async Task<string?> GetAsync(string name, CancellationToken ct)
    {
        try
        {
            return EnvironmentSecretSource.NullIfEmpty(await File.ReadAllTextAsync(name, ct));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}

/// <summary>
/// <c>secret:NAME</c> with the configuration store: <c>Secrets:NAME</c>, which in development includes user
/// secrets (<c>dotnet user-secrets set Secrets:NAME ...</c>). Reloadable configuration sources are seen live.
/// </summary>
internal sealed class ConfigurationSecretSource(IConfiguration configuration) : ISecretSource
{
    public Task<string?> GetAsync(string name, CancellationToken ct) =>
        Task.FromResult(EnvironmentSecretSource.NullIfEmpty(configuration[$"Secrets:{name}"]));
}

/// <summary>
/// <c>secret:NAME</c> with Azure Key Vault (the natural store for an azd deployment): the current version of
/// secret NAME. Key Vault names allow only letters, digits and '-': '_' is mapped to '-'.
/// </summary>
internal sealed class AzureKeyVaultSecretSource(SecretClient client) : ISecretSource
{
    public async Task<string?> GetAsync(string name, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(name);
        try
        {
            var secret = await client.GetSecretAsync(name.Replace('_', '-'), cancellationToken: ct);
            return EnvironmentSecretSource.NullIfEmpty(secret.Value.Value);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return null;
        }
    }
}

/// <summary>HashiCorp Vault settings (<c>Switchboard:Secrets:Vault</c>).</summary>
internal sealed record VaultOptions
{
    /// <summary>e.g. http://127.0.0.1:8200.</summary>
    public string? Address { get; set; }
    /// <summary>Token auth (X-Vault-Token).</summary>
    public string? Token { get; set; }
    /// <summary>KV v2 mount.</summary>
    public string Mount { get; set; } = "secret";
    /// <summary>Secret path under the mount whose fields hold the keys; NAME may also be <c>path#field</c>.</summary>
    public string Path { get; set; } = "switchboard";
}

/// <summary>
/// <c>secret:NAME</c> with HashiCorp Vault KV v2 over its HTTP API: <c>GET /v1/{mount}/data/{path}</c> with
/// <c>X-Vault-Token</c>; the value is field NAME of <c>data.data</c> (or <c>path#field</c>).
/// </summary>
internal sealed class HashiCorpVaultSecretSource(HttpClient http, VaultOptions options) : ISecretSource
{
    public async Task<string?> GetAsync(string name, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(name);
        var (path, field) = name.Split('#', 2) is [var p, var f] ? (p, f) : (options.Path, name);
        using var request = new HttpRequestMessage(HttpMethod.Get,
            new Uri(new Uri(options.Address!.TrimEnd('/') + "/"), $"v1/{options.Mount.Trim('/')}/data/{path.Trim('/')}"));
        request.Headers.Add("X-Vault-Token", options.Token);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        using var response = await http.SendAsync(request, ct);
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
        response.EnsureSuccessStatusCode();
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        using var doc = await JsonDocument.ParseAsync(body, cancellationToken: ct);
        return doc.RootElement.TryGetProperty("data", out var outer)
               && outer.TryGetProperty("data", out var data)
               && data.ValueKind == JsonValueKind.Object
               && data.TryGetProperty(field, out var value)
               && value.ValueKind == JsonValueKind.String
            ? EnvironmentSecretSource.NullIfEmpty(value.GetString())
            : null;
    }
}
