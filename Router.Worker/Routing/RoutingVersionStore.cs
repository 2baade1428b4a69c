using Npgsql;
using Switchboard.Router.Data;

namespace Switchboard.Router.Routing;

/// <summary>One stored version of the routing document (version 0 is the <c>--config</c> baseline, never stored).</summary>
internal sealed record RoutingVersion(long Version, string Author, string? Comment, DateTimeOffset CreatedAt, long? RolledBackFrom)
{
    public string? Content { get; init; }
}

/// <summary>Routing document versions in controldb.</summary>
internal sealed class RoutingVersionStore(ControlDb db, TimeProvider time)
{
    public async Task<IReadOnlyList<RoutingVersion>> ListAsync(CancellationToken ct)
    {
        await using var conn = await db.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand(
            "SELECT version, author, comment, created_at, rolled_back_from FROM routing_versions ORDER BY version DESC", conn);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var list = new List<RoutingVersion>();
        while (await reader.ReadAsync(ct))
        {
            list.Add(Read(reader));
        }
        return list;
    }

    public async Task<RoutingVersion?> GetAsync(long version, CancellationToken ct) =>
        await QuerySingleAsync("WHERE version = @v", version, ct);

    public async Task<RoutingVersion?> LatestAsync(CancellationToken ct) =>
        await QuerySingleAsync("ORDER BY version DESC LIMIT 1", null, ct);

    public async Task<RoutingVersion> AddAsync(string content, string author, string? comment, long? rolledBackFrom, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        await using var conn = await db.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand("""
            INSERT INTO routing_versions (content, author, comment, created_at, rolled_back_from)
            VALUES (@content, @author, @comment, @at, @from) RETURNING version
            """, conn);
        cmd.Parameters.AddWithValue("content", content);
        cmd.Parameters.AddWithValue("author", author);
        cmd.Parameters.AddWithValue("comment", (object?)comment ?? DBNull.Value);
        cmd.Parameters.AddWithValue("at", now);
        cmd.Parameters.AddWithValue("from", (object?)rolledBackFrom ?? DBNull.Value);
        var version = (long)(await cmd.ExecuteScalarAsync(ct))!;
        return new(version, author, comment, now, rolledBackFrom) { Content = content };
    }

    private async Task<RoutingVersion?> QuerySingleAsync(string tail, long? version, CancellationToken ct)
    {
        await using var conn = await db.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand(
            $"SELECT version, author, comment, created_at, rolled_back_from, content FROM routing_versions {tail}", conn);
        if (version is { } v)
        {
            cmd.Parameters.AddWithValue("v", v);
        }
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? Read(reader) with { Content = reader.GetString(5) } : null;
    }

    private static RoutingVersion Read(NpgsqlDataReader r) => new(
        r.GetInt64(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2),
        r.GetFieldValue<DateTimeOffset>(3), r.IsDBNull(4) ? null : r.GetInt64(4));
}
