using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Switchboard.Contracts.Keys;
using Switchboard.Contracts.Routing;
using Switchboard.Gateway.Configuration;

namespace Switchboard.Gateway.Keys;

/// <summary>A gateway key as the hot path knows it: a name, a salted hash and its limits. Never the key.</summary>
internal sealed record GatewayKey(string Name, GatewayKeyHash Hash, GatewayKeyConfig Config)
{
    /// <summary>True when the key may use the model name the client sent (route name or provider/model).</summary>
    public bool Allows(string model)
    {
        var patterns = Config.Models;
        if (patterns is null)
        {
            return true;
        }
        foreach (var p in patterns)
        {
            if (p == "*" || string.Equals(p, model, StringComparison.Ordinal))
            {
                return true;
            }
            if (p.EndsWith("/*", StringComparison.Ordinal) && model.StartsWith(p.AsSpan(0, p.Length - 1), StringComparison.Ordinal))
            {
                return true;
            }
        }
        return false;
    }
}

/// <summary>
/// Gateway keys of one routing document, hashed at load. A presented key is found by a fast, non-secret hash
/// of it (a cache of earlier successful lookups) and confirmed with a constant-time compare of its salted
/// SHA-256; a cache miss tries every key. A header value this table has already verified (the same string
/// instance, which Kestrel reuses on a keep-alive connection) is answered without hashing again.
/// </summary>
internal sealed class KeyTable
{
    private readonly GatewayKey[] _keys;
    private readonly ConcurrentDictionary<int, GatewayKey> _cache = new();

    // Header values already verified, by reference. Kestrel hands a keep-alive connection the same string instance
    // while a header's bytes repeat, so every request after a connection's first skips the salted SHA-256 (~2 us of
    // OpenSSL a request). An entry lives only as long as the string does, holds nothing the request did not, and
    // belongs to this table: a reload or a revocation builds a new table, which starts empty.
    private readonly ConditionalWeakTable<string, GatewayKey> _verified = new();

    private KeyTable(GatewayKey[] keys, bool required)
    {
        _keys = keys;
        Required = required;
    }

    public static KeyTable None { get; } = new([], required: false);

    /// <summary>False when the document has no <c>keys</c>: no key is required.</summary>
    public bool Required { get; }

    public int Count => _keys.Length;

    public static KeyTable Build(IReadOnlyList<GatewayKeyConfig>? configs, CredentialResolver resolver, List<string> warnings)
    {
        if (configs is null)
        {
            return None;
        }
        var keys = new List<GatewayKey>(configs.Count);
        for (var i = 0; i < configs.Count; i++)
        {
            var c = configs[i];
            if (c.KeyHash is { } stored)
            {
                if (GatewayKeyHash.TryParse(stored, out var parsed))
                {
                    keys.Add(new(c.Name, parsed!, c));
                }
                continue;
            }
            var plain = resolver.Resolve(c.Key);
            if (plain is null)
            {
                warnings.Add($"keys[{i}].key: '{c.Key}' is not set; the key '{c.Name}' is disabled");
                continue;
            }
            keys.Add(new(c.Name, GatewayKeyHash.FromKey(plain), c));
        }
        return new([.. keys], required: true);
    }

    /// <summary>The keys, for merging tables.</summary>
    public IReadOnlyList<GatewayKey> Keys => _keys;

    /// <summary>
    /// The routing document's keys merged with the ones Router.Worker issued: a key issued (or revoked) by
    /// Router.Worker replaces a document key of the same name. Keys are required when either source has any
    /// (a table of only revoked keys still requires a key: revoking the last key must not open the gateway).
    /// </summary>
    public static KeyTable Merge(KeyTable document, IReadOnlyDictionary<string, GatewayKey?> issued)
    {
        ArgumentNullException.ThrowIfNull(document);
        ArgumentNullException.ThrowIfNull(issued);
        if (issued.Count == 0)
        {
            return document;
        }
        var keys = new List<GatewayKey>(document.Count + issued.Count);
        foreach (var k in document._keys)
        {
            if (!issued.ContainsKey(k.Name))
            {
                keys.Add(k);
            }
        }
        foreach (var k in issued.Values)
        {
            if (k is not null)
            {
                keys.Add(k);
            }
        }
        return new([.. keys], required: true);
    }

    /// <summary>
    /// Finds the key presented in <paramref name="header"/> (the value it was cut from): the same string instance,
    /// already verified, is answered without hashing again.
    /// </summary>
    public GatewayKey? Find(string? header, ReadOnlySpan<char> presented)
    {
        if (header is null)
        {
            return Find(presented);
        }
        if (_verified.TryGetValue(header, out var known))
        {
            return known;
        }
        var key = Find(presented);
        if (key is not null)
        {
            _verified.AddOrUpdate(header, key);
        }
        return key;
    }

    public GatewayKey? Find(ReadOnlySpan<char> presented)
    {
        if (presented.IsEmpty)
        {
            return null;
        }
        var fast = string.GetHashCode(presented, StringComparison.Ordinal);
        if (_cache.TryGetValue(fast, out var cached) && cached.Hash.Matches(presented))
        {
            return cached;
        }
        foreach (var key in _keys)
        {
            if (key.Hash.Matches(presented))
            {
                _cache[fast] = key;
                return key;
            }
        }
        return null;
    }
}
