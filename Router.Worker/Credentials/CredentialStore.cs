using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using StackExchange.Redis;
using Switchboard.Contracts.Health;
using Switchboard.Contracts.Outcomes;
using Switchboard.Contracts.Redis;
using Switchboard.Contracts.Routing;
using Switchboard.Router.Health;
using Switchboard.Router.Routing;

namespace Switchboard.Router.Credentials;

/// <summary>
/// Resolves the credential forms of the routing document: a literal, <c>env:NAME</c>, <c>file:/path</c> and
/// <c>secret:NAME</c> (the configured store). A value may hold several keys, one a line (rotation with overlap
/// inside one secret).
/// </summary>
internal sealed class SecretResolver(IConfiguration configuration, ISecretSource store)
{
    private readonly EnvironmentSecretSource _environment = new(configuration);
    private readonly FileSecretSource _file = new();

    public async Task<IReadOnlyList<string>> ResolveAsync(string? reference, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(reference))
        {
            return [];
        }
        var value = reference switch
        {
            _ when reference.StartsWith("env:", StringComparison.Ordinal) => await _environment.GetAsync(reference[4..], ct),
            _ when reference.StartsWith("file:", StringComparison.Ordinal) => await _file.GetAsync(reference[5..], ct),
            _ when reference.StartsWith("secret:", StringComparison.Ordinal) => await store.GetAsync(reference[7..], ct),
            _ => reference,
        };
        return value is null ? [] : value.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }
}

/// <summary>A key lent to a probe or canary; <see cref="Fingerprint"/> identifies it without revealing it.</summary>
internal sealed record LeasedKey(string Value, string Fingerprint)
{
    public override string ToString() => $"key {Fingerprint}";
}

/// <summary>
/// Provider keys held in memory only: refreshed on a schedule, when the routing document changes, and on demand
/// when a gateway (or a probe) reports a 401/403. Several keys per provider are used in turn; a refused key is
/// skipped until the next refresh. Redis gets only a version per provider (a fingerprint of its key set,
/// <see cref="RedisKeys.CredentialVersions"/>) so gateways know to re-read their own source: keys never leave
/// the process, and never reach a log or an API.
/// </summary>
internal sealed partial class CredentialStore(
    SecretResolver resolver, RoutingState routing, HealthModel health, IConnectionMultiplexer redis,
    TimeProvider time, ILogger<CredentialStore> logger)
{
    private readonly ConcurrentDictionary<string, ProviderKeys> _providers = new(StringComparer.Ordinal);

    public string? Version(string provider) => _providers.TryGetValue(provider, out var p) ? p.Version : null;

    /// <summary>The next usable key of a provider (round robin over keys not refused), or null.</summary>
    public LeasedKey? Lease(string provider) => _providers.TryGetValue(provider, out var p) ? p.Next() : null;

    /// <summary>A provider refused this key: skip it until the set changes.</summary>
    public void Refused(string provider, LeasedKey key)
    {
        if (_providers.TryGetValue(provider, out var p))
        {
            p.Refuse(key.Fingerprint);
        }
    }

    /// <summary>Re-reads every provider's keys (or one provider's); returns the providers whose keys changed.</summary>
    public async Task<IReadOnlyList<string>> RefreshAsync(string? only, CancellationToken ct)
    {
        var changed = new List<string>();
        foreach (var (name, config) in routing.Current.Document.Providers)
        {
            if (only is not null && only != name)
            {
                continue;
            }
            var keys = new List<string>();
            try
            {
                foreach (var reference in References(config))
                {
                    keys.AddRange(await resolver.ResolveAsync(reference, ct));
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or Azure.RequestFailedException or InvalidOperationException or TaskCanceledException)
            {
                // The store is unreachable: keep what we have rather than lose every key.
                LogSourceFailed(logger, name, ex.GetType().Name);
                continue;
            }
            var next = new ProviderKeys([.. keys.Distinct(StringComparer.Ordinal)]);
            var previous = _providers.GetValueOrDefault(name);
            if (previous is not null && previous.Version == next.Version)
            {
                continue;
            }
            _providers[name] = next;
            changed.Add(name);
            if (previous is not null)
            {
                health.CredentialChanged(name);
                LogRotated(logger, name, previous.Version, next.Version, next.Count);
            }
        }
        if (changed.Count > 0)
        {
            await PublishVersionsAsync(changed);
        }
        return changed;
    }

    private async Task PublishVersionsAsync(IReadOnlyList<string> changed)
    {
        try
        {
            var db = redis.GetDatabase();
            await db.HashSetAsync(RedisKeys.CredentialVersions, [.. changed.Select(p => new HashEntry(p, _providers[p].Version))]);
            var message = JsonSerializer.Serialize(new SnapshotChange("credentials", time.GetUtcNow().ToUnixTimeMilliseconds()),
                ContractJson.Default.SnapshotChange);
            await db.PublishAsync(RedisChannel.Literal(RedisKeys.ChangesChannel), message);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            LogSourceFailed(logger, "redis", ex.GetType().Name);
        }
    }

    private static IEnumerable<string> References(ProviderConfig config) =>
        config.ApiKeys ?? (config.ApiKey is null ? [] : [config.ApiKey]);

    internal static string Fingerprint(string key) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..12];

    private sealed class ProviderKeys
    {
        private readonly LeasedKey[] _keys;
        private readonly ConcurrentDictionary<string, bool> _refused = new(StringComparer.Ordinal);
        private int _next = -1;

        public ProviderKeys(string[] keys)
        {
            _keys = [.. keys.Select(k => new LeasedKey(k, Fingerprint(k)))];
            Version = keys.Length == 0 ? "none"
                : Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', _keys.Select(k => k.Fingerprint)))))[..16];
        }

        public string Version { get; }
        public int Count => _keys.Length;

        public LeasedKey? Next()
        {
            if (_keys.Length == 0)
            {
                return null;
            }
            for (var i = 0; i < _keys.Length; i++)
            {
                var k = _keys[(int)((uint)Interlocked.Increment(ref _next) % (uint)_keys.Length)];
                if (!_refused.ContainsKey(k.Fingerprint))
                {
                    return k;
                }
            }
            return _keys[(int)((uint)Interlocked.Increment(ref _next) % (uint)_keys.Length)]; // all refused: keep trying in turn
        }

        public void Refuse(string fingerprint) => _refused[fingerprint] = true;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Credentials of provider {Provider} rotated: version {Old} -> {New} ({Count} key(s))")]
    private static partial void LogRotated(ILogger logger, string provider, string old, string @new, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Secret source for {Provider} failed ({Error}); keeping the current keys")]
    private static partial void LogSourceFailed(ILogger logger, string provider, string error);
}
