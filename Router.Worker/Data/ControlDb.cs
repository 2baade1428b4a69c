using Npgsql;

namespace Switchboard.Router.Data;

/// <summary>
/// controldb: versioned routing documents, gateway keys (hashes only), alerts and quality scores. The schema
/// is created on first use under an advisory lock, so replicas starting together do not race; statements are
/// idempotent (<c>IF NOT EXISTS</c>), and a later change adds statements here.
/// </summary>
internal sealed class ControlDb(NpgsqlDataSource dataSource)
{
    private const long SchemaLockId = 0x5357_4254_5254; // "SWBRT"
    private const string Schema = """
        CREATE TABLE IF NOT EXISTS routing_versions (
            version bigserial PRIMARY KEY,
            content text NOT NULL,
            author text NOT NULL,
            comment text,
            created_at timestamptz NOT NULL,
            rolled_back_from bigint
        );
        CREATE TABLE IF NOT EXISTS gateway_keys (
            name text PRIMARY KEY,
            key_hash text NOT NULL,
            models text[],
            requests_per_minute integer,
            tokens_per_minute integer,
            budget_usd numeric,
            created_at timestamptz NOT NULL,
            revoked_at timestamptz
        );
        CREATE TABLE IF NOT EXISTS alerts (
            id bigserial PRIMARY KEY,
            kind text NOT NULL,
            severity text NOT NULL,
            provider text,
            model text,
            message text NOT NULL,
            created_at timestamptz NOT NULL,
            acknowledged_at timestamptz,
            acknowledged_by text
        );
        CREATE INDEX IF NOT EXISTS alerts_created_at ON alerts (created_at DESC);
        CREATE TABLE IF NOT EXISTS quality_scores (
            provider text NOT NULL,
            model text NOT NULL,
            at timestamptz NOT NULL,
            score double precision,
            canary_runs integer NOT NULL,
            canary_passed integer NOT NULL,
            sampled integer NOT NULL,
            structure_failures integer NOT NULL,
            truncated_rate double precision NOT NULL,
            drift_model text,
            PRIMARY KEY (provider, model, at)
        );
        """;

    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile bool _ready;

    public async Task<NpgsqlConnection> OpenAsync(CancellationToken ct)
    {
        if (!_ready)
        {
            await EnsureSchemaAsync(ct);
        }
        return await dataSource.OpenConnectionAsync(ct);
    }

    private async Task EnsureSchemaAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            if (_ready)
            {
                return;
            }
            await using var conn = await dataSource.OpenConnectionAsync(ct);
            await using var tx = await conn.BeginTransactionAsync(ct);
            await using (var lockCmd = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({SchemaLockId})", conn, tx))
            {
                await lockCmd.ExecuteNonQueryAsync(ct);
            }
            await using (var cmd = new NpgsqlCommand(Schema, conn, tx))
            {
                await cmd.ExecuteNonQueryAsync(ct);
            }
            await tx.CommitAsync(ct);
            _ready = true;
        }
        finally
        {
            _gate.Release();
        }
    }
}
