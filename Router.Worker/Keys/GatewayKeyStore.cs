using Switchboard.Contracts.Keys;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Npgsql;
using StackExchange.Redis;
using Switchboard.Contracts.Health;
using Switchboard.Contracts.Outcomes;
using Switchboard.Contracts.Redis;
using Switchboard.Router.Data;

namespace Switchboard.Router.Keys;

/// <summary>A gateway key as stored and listed: never the key, never its hash over the API.</summary>
internal sealed record GatewayKeyInfo(
    string Name, IReadOnlyList<string>? Models, int? RequestsPerMinute, int? TokensPerMinute, decimal? BudgetUsd,
    DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt)
{
    public bool Revoked => RevokedAt is not null;

    /// <summary>Spend the gateways have settled against the key's budget (their shared Redis ledger); null when Redis cannot say.</summary>
    public decimal? SpentUsd { get; init; }

    /// <summary>Held right now by requests in flight; null when Redis cannot say.</summary>
    public decimal? ReservedUsd { get; init; }
}

/// <summary>Key limits as gateways read them.</summary>
internal sealed record PublishedKeyLimits(int? RequestsPerMinute, int? TokensPerMinute);

/// <summary>
/// The JSON value of one field of <see cref="RedisKeys.GatewayKeys"/> (field = key name), read by every gateway:
/// <c>{"name","keyHash":"sha256:&lt;salt-b64&gt;:&lt;hash-b64&gt;","models","limits":{"requestsPerMinute","tokensPerMinute"},"budgetUsd","revoked"}</c>.
/// </summary>
internal sealed record PublishedGatewayKey(
    string Name, string KeyHash, IReadOnlyList<string>? Models, PublishedKeyLimits Limits, decimal? BudgetUsd, bool Revoked);

/// <summary>A request to issue a key.</summary>
internal sealed record CreateKeyRequest(string Name, IReadOnlyList<string>? Models, int? RequestsPerMinute, int? TokensPerMinute, decimal? BudgetUsd);

/// <summary>The answer to a create: the only time the key is ever shown.</summary>
internal sealed record CreatedKey(string Name, string Key, IReadOnlyList<string>? Models, int? RequestsPerMinute, int? TokensPerMinute, decimal? BudgetUsd, DateTimeOffset CreatedAt);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(PublishedGatewayKey))]
internal sealed partial class KeyJson : JsonSerializerContext;

/// <summary>
/// Issues gateway keys (random, shown once), stores only a salted SHA-256 (the gateway's
/// <c>sha256:&lt;salt&gt;:&lt;hash&gt;</c> form) in controldb and mirrors the table to Redis for gateways.
/// Revoking keeps the entry with <c>revoked: true</c> so a gateway holding the old table drops it.
/// </summary>
internal sealed class GatewayKeyStore(ControlDb db, IConnectionMultiplexer redis, TimeProvider time)
{
    public const string KeyPrefix = "sb-";

    /// <summary>Creates a key; null when the name is taken.</summary>
    public async Task<CreatedKey?> CreateAsync(CreateKeyRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        var key = KeyPrefix + Base64Url(RandomNumberGenerator.GetBytes(32));
        var hash = GatewayKeyHash.Create(key);
        var now = time.GetUtcNow();
        await using (var conn = await db.OpenAsync(ct))
        {
            await using var cmd = new NpgsqlCommand("""
                INSERT INTO gateway_keys (name, key_hash, models, requests_per_minute, tokens_per_minute, budget_usd, created_at)
                VALUES (@name, @hash, @models, @rpm, @tpm, @budget, @at) ON CONFLICT (name) DO NOTHING
                """, conn);
            cmd.Parameters.AddWithValue("name", request.Name);
            cmd.Parameters.AddWithValue("hash", hash);
            cmd.Parameters.AddWithValue("models", (object?)request.Models?.ToArray() ?? DBNull.Value);
            cmd.Parameters.AddWithValue("rpm", (object?)request.RequestsPerMinute ?? DBNull.Value);
            cmd.Parameters.AddWithValue("tpm", (object?)request.TokensPerMinute ?? DBNull.Value);
            cmd.Parameters.AddWithValue("budget", (object?)request.BudgetUsd ?? DBNull.Value);
            cmd.Parameters.AddWithValue("at", now);
            if (await cmd.ExecuteNonQueryAsync(ct) == 0)
            {
                return null;
            }
        }
        await MirrorAsync(request.Name, ct);
        return new(request.Name, key, request.Models, request.RequestsPerMinute, request.TokensPerMinute, request.BudgetUsd, now);
    }

    /// <summary>Changes limits and budget of an existing key; false when it does not exist.</summary>
    public async Task<bool> UpdateAsync(CreateKeyRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        await using (var conn = await db.OpenAsync(ct))
        {
            await using var cmd = new NpgsqlCommand("""
                UPDATE gateway_keys SET models = @models, requests_per_minute = @rpm, tokens_per_minute = @tpm, budget_usd = @budget
                WHERE name = @name
                """, conn);
            cmd.Parameters.AddWithValue("name", request.Name);
            cmd.Parameters.AddWithValue("models", (object?)request.Models?.ToArray() ?? DBNull.Value);
            cmd.Parameters.AddWithValue("rpm", (object?)request.RequestsPerMinute ?? DBNull.Value);
            cmd.Parameters.AddWithValue("tpm", (object?)request.TokensPerMinute ?? DBNull.Value);
            cmd.Parameters.AddWithValue("budget", (object?)request.BudgetUsd ?? DBNull.Value);
            if (await cmd.ExecuteNonQueryAsync(ct) == 0)
            {
                return false;
            }
        }
        await MirrorAsync(request.Name, ct);
        return true;
    }

    public async Task<bool> RevokeAsync(string name, CancellationToken ct)
    {
        await using (var conn = await db.OpenAsync(ct))
        {
            await using var cmd = new NpgsqlCommand(
                "UPDATE gateway_keys SET revoked_at = COALESCE(revoked_at, @at) WHERE name = @name", conn);
            cmd.Parameters.AddWithValue("name", name);
            cmd.Parameters.AddWithValue("at", time.GetUtcNow());
            if (await cmd.ExecuteNonQueryAsync(ct) == 0)
            {
                return false;
            }
        }
        await MirrorAsync(name, ct);
        return true;
    }

    /// <summary>Every key with its live spend from the gateways' budget ledger (<see cref="RedisKeys.KeyBudget"/>).</summary>
    public async Task<IReadOnlyList<GatewayKeyInfo>> ListAsync(CancellationToken ct)
    {
        var keys = (await ReadAsync(null, ct)).Select(r => r.Info).ToList();
        RedisValue[][] ledgers;
        try
        {
            var db = redis.GetDatabase();
            ledgers = await Task.WhenAll(keys.Select(k =>
                db.HashGetAsync(RedisKeys.KeyBudget(k.Name), [RedisKeys.BudgetSpentField, RedisKeys.BudgetReservedField])));
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            return keys; // the key table is in controldb; only the live spend is missing
        }
        return [.. keys.Select((k, i) => k with { SpentUsd = NanoUsd(ledgers[i][0]), ReservedUsd = NanoUsd(ledgers[i][1]) })];
    }

    private static decimal NanoUsd(RedisValue value) => value.TryParse(out long nano) ? RedisKeys.FromNanoUsd(nano) : 0m;

    /// <summary>Writes every key to Redis (the leader does it at start and on a schedule, in case Redis lost them).</summary>
    public async Task MirrorAllAsync(CancellationToken ct)
    {
        var rows = await ReadAsync(null, ct);
        if (rows.Count == 0)
        {
            return;
        }
        var entries = rows.Select(r => new HashEntry(r.Info.Name, Serialize(r))).ToArray();
        await redis.GetDatabase().HashSetAsync(RedisKeys.GatewayKeys, entries);
    }

    private async Task MirrorAsync(string name, CancellationToken ct)
    {
        var rows = await ReadAsync(name, ct);
        if (rows.Count == 0)
        {
            return;
        }
        var database = redis.GetDatabase();
        await database.HashSetAsync(RedisKeys.GatewayKeys, name, Serialize(rows[0]));
        var change = JsonSerializer.Serialize(new SnapshotChange("keys", time.GetUtcNow().ToUnixTimeMilliseconds()), ContractJson.Default.SnapshotChange);
        await database.PublishAsync(RedisChannel.Literal(RedisKeys.ChangesChannel), change);
    }

    private static string Serialize((GatewayKeyInfo Info, string Hash) row) => JsonSerializer.Serialize(
        new PublishedGatewayKey(row.Info.Name, row.Hash, row.Info.Models,
            new(row.Info.RequestsPerMinute, row.Info.TokensPerMinute), row.Info.BudgetUsd, row.Info.Revoked),
        KeyJson.Default.PublishedGatewayKey);

    private async Task<List<(GatewayKeyInfo Info, string Hash)>> ReadAsync(string? name, CancellationToken ct)
    {
        await using var conn = await db.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand($"""
            SELECT name, key_hash, models, requests_per_minute, tokens_per_minute, budget_usd, created_at, revoked_at
            FROM gateway_keys {(name is null ? "" : "WHERE name = @name")} ORDER BY name
            """, conn);
        if (name is not null)
        {
            cmd.Parameters.AddWithValue("name", name);
        }
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var list = new List<(GatewayKeyInfo, string)>();
        while (await r.ReadAsync(ct))
        {
            list.Add((new GatewayKeyInfo(
                r.GetString(0),
                r.IsDBNull(2) ? null : r.GetFieldValue<string[]>(2),
                r.IsDBNull(3) ? null : r.GetInt32(3),
                r.IsDBNull(4) ? null : r.GetInt32(4),
                r.IsDBNull(5) ? null : r.GetDecimal(5),
                r.GetFieldValue<DateTimeOffset>(6),
                r.IsDBNull(7) ? null : r.GetFieldValue<DateTimeOffset>(7)), r.GetString(1)));
        }
        return list;
    }

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
