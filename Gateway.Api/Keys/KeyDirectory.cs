using System.Text.Json;
using System.Text.Json.Serialization;
using Switchboard.Contracts.Keys;
using Switchboard.Contracts.Routing;
using Switchboard.Gateway.Configuration;

namespace Switchboard.Gateway.Keys;

/// <summary>
/// The gateway keys in force: the routing document's merged with the table Router.Worker mirrors into Redis
/// (<see cref="Contracts.Redis.RedisKeys.GatewayKeys"/>). Rebuilt (rarely) when either changes and swapped
/// whole; the hot path reads <see cref="Current"/>. When Redis is down the last issued table stays.
/// </summary>
internal sealed class KeyDirectory : IDisposable
{
    private readonly RoutingStore _routing;
    private readonly Lock _gate = new();
    private IReadOnlyDictionary<string, GatewayKey?> _issued = new Dictionary<string, GatewayKey?>();
    private KeyTable _current;

    public KeyDirectory(RoutingStore routing)
    {
        ArgumentNullException.ThrowIfNull(routing);
        _routing = routing;
        _current = routing.Current.Keys;
        routing.Changed += OnRoutingChanged;
    }

    public KeyTable Current => Volatile.Read(ref _current);

    /// <summary>Issued keys held (revoked ones included, as null).</summary>
    public int IssuedCount => _issued.Count;

    /// <summary>Replaces the issued table with the fields of the Redis hash (name -> published JSON).</summary>
    public void ApplyIssued(IEnumerable<KeyValuePair<string, string>> fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        var issued = new Dictionary<string, GatewayKey?>(StringComparer.Ordinal);
        foreach (var (name, json) in fields)
        {
            issued[name] = Parse(name, json);
        }
        lock (_gate)
        {
            _issued = issued;
            Volatile.Write(ref _current, KeyTable.Merge(_routing.Current.Keys, issued));
        }
    }

    /// <summary>A published key, or null when revoked or unreadable (a key that cannot be verified admits no one).</summary>
    internal static GatewayKey? Parse(string name, string json)
    {
        PublishedKey? p;
        try
        {
            p = JsonSerializer.Deserialize(json, PublishedKeyJson.Default.PublishedKey);
        }
        catch (JsonException)
        {
            return null;
        }
        if (p is null || p.Revoked || p.KeyHash is null || !GatewayKeyHash.TryParse(p.KeyHash, out var hash))
        {
            return null;
        }
        return new GatewayKey(name, hash!, new GatewayKeyConfig
        {
            Name = name,
            KeyHash = p.KeyHash,
            Models = p.Models,
            RequestsPerMinute = p.Limits?.RequestsPerMinute,
            TokensPerMinute = p.Limits?.TokensPerMinute,
            BudgetUsd = p.BudgetUsd,
        });
    }

    private void OnRoutingChanged(GatewayConfig config)
    {
        lock (_gate)
        {
            Volatile.Write(ref _current, KeyTable.Merge(config.Keys, _issued));
        }
    }

    public void Dispose() => _routing.Changed -= OnRoutingChanged;
}

/// <summary>The JSON of one field of the issued-keys hash, as Router.Worker writes it.</summary>
internal sealed record PublishedKey(string? Name, string? KeyHash, IReadOnlyList<string>? Models, PublishedLimits? Limits, decimal? BudgetUsd, bool Revoked);

internal sealed record PublishedLimits(int? RequestsPerMinute, int? TokensPerMinute);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(PublishedKey))]
internal sealed partial class PublishedKeyJson : JsonSerializerContext;
