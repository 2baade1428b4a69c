using Npgsql;
using NpgsqlTypes;
using Switchboard.Contracts.Outcomes;
using Switchboard.Metrics.Data;
using Switchboard.Metrics.Rollups;

namespace Switchboard.Metrics.Ingestion;

/// <summary>
/// Writes a batch of outcome events in one transaction, and their rollups with them.
/// Fast path (every batch that is not a replay): binary COPY straight into <c>request_log</c>. Should any event be
/// there already (a replay after a crash, another consumer), the primary key refuses the COPY with a unique violation;
/// the transaction is rolled back and the batch goes the slow path: COPY into a temporary staging table, then
/// <c>INSERT ... SELECT ... ON CONFLICT (request_id, attempt) DO NOTHING RETURNING</c>, so only the rows really
/// inserted reach the rollups. Either way a replayed event adds nothing; the caller acknowledges the stream entries
/// only after this returns.
/// Rollups: per minute and per hour, both per full cell (provider x model x route x key x task) and per single
/// dimension (<see cref="Dimensions"/>), aggregated in memory first, so a batch writes one row per touched cell, not
/// one per event. Histograms are merged here, not in SQL: the rows of the current minute and hour are touched by every
/// batch and their histograms grow to hundreds of buckets, which a PL/pgSQL merge did at ~1 us a bucket. Under a
/// transaction-level advisory lock (rollup writers take turns; the request log insert stays concurrent) the batch reads
/// the existing histograms of the cells it touches, merges in memory and writes the sums back.
/// </summary>
internal sealed class BatchWriter(MetricsDatabase database)
{
    private const string Columns =
        "started_at, request_id, attempt, kind, hedged, key_name, route, task, provider, provider_type, model, " +
        "model_reported, drift, stream, outcome, winner, counted, status, error_class, error_message, latency_ms, " +
        "ttft_ms, client_status, client_latency_ms, client_ttft_ms, attempts, input_tokens, output_tokens, " +
        "cached_input_tokens, cache_write_tokens, reasoning_tokens, tokens_estimated, cost_usd, tier, confidence, gateway";

    private const string PrepareStaging =
        "CREATE TEMP TABLE IF NOT EXISTS request_log_staging (LIKE request_log INCLUDING DEFAULTS) ON COMMIT DELETE ROWS";

    private const string InsertNew =
        $"INSERT INTO request_log ({Columns}) SELECT {Columns} FROM request_log_staging " +
        "ON CONFLICT (request_id, attempt) DO NOTHING RETURNING request_id, attempt";

    private const long RollupLock = 0x5B_4D_45_54; // any constant shared by every Metrics.Service instance

    private static readonly RollupTable<RollupKey> Full = new(
        "rollup_minute", "rollup_hour", "rollup_staging", ["provider", "model", "route", "key_name", "task"],
        k => k.Bucket,
        (k, i) => i switch { 0 => k.Provider, 1 => k.Model, 2 => k.Route, 3 => k.KeyName, _ => k.Task },
        r => new RollupKey(r.GetFieldValue<DateTimeOffset>(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5)));

    private static readonly RollupTable<DimensionKey> Single = new(
        "rollup_dim_minute", "rollup_dim_hour", "rollup_dim_staging", ["dimension", "value"],
        k => k.Bucket,
        (k, i) => i == 0 ? k.Dimension : k.Value,
        r => new DimensionKey(r.GetFieldValue<DateTimeOffset>(0), r.GetString(1), r.GetString(2)));

    private static readonly string PrepareRollups = $"{Full.Prepare};{Single.Prepare}";

    public async Task<BatchResult> WriteAsync(IReadOnlyList<OutcomeEvent> events, CancellationToken cancellationToken)
    {
        var unique = Deduplicate(events);
        if (unique.Count == 0)
        {
            return new BatchResult(0, events.Count);
        }
        await using var lease = await database.OpenAsync(cancellationToken);
        var connection = lease.Connection;
        try
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await CopyEventsAsync(connection, "request_log", unique, cancellationToken);
            await WriteRollupsAsync(connection, transaction, unique, inserted: null, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return new BatchResult(unique.Count, events.Count - unique.Count);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            // Some of it is stored already: the transaction is rolled back, insert what is new.
        }
        return await WriteReplayAsync(connection, events.Count, unique, cancellationToken);
    }

    private static async Task<BatchResult> WriteReplayAsync(NpgsqlConnection connection, int received, List<OutcomeEvent> unique,
        CancellationToken ct)
    {
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using (var prepare = new NpgsqlCommand(PrepareStaging, connection, transaction))
        {
            await prepare.ExecuteNonQueryAsync(ct);
        }
        await CopyEventsAsync(connection, "request_log_staging", unique, ct);
        var inserted = new HashSet<(string, int)>();
        await using (var insert = new NpgsqlCommand(InsertNew, connection, transaction))
        await using (var reader = await insert.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                inserted.Add((reader.GetString(0), reader.GetInt32(1)));
            }
        }
        if (inserted.Count > 0)
        {
            await WriteRollupsAsync(connection, transaction, unique, inserted, ct);
        }
        await transaction.CommitAsync(ct);
        return new BatchResult(inserted.Count, received - inserted.Count);
    }

    private static List<OutcomeEvent> Deduplicate(IReadOnlyList<OutcomeEvent> events)
    {
        var seen = new HashSet<(string, int)>(events.Count);
        var unique = new List<OutcomeEvent>(events.Count);
        foreach (var e in events)
        {
            if (seen.Add((e.RequestId, e.Attempt)))
            {
                unique.Add(e);
            }
        }
        return unique;
    }

    /// <summary>Minute and hour deltas of the full cells, from the events inserted (all when <paramref name="inserted"/> is null).</summary>
    internal static (Dictionary<RollupKey, RollupAccumulator> Minutes, Dictionary<RollupKey, RollupAccumulator> Hours) BuildDeltas(
        IEnumerable<OutcomeEvent> events, HashSet<(string, int)>? inserted)
    {
        var minutes = new Dictionary<RollupKey, RollupAccumulator>();
        foreach (var e in events)
        {
            if (inserted is not null && !inserted.Contains((e.RequestId, e.Attempt)))
            {
                continue;
            }
            var minute = new RollupKey(TimeBuckets.FloorMinute(e.StartedAt), e.Provider, e.Model, e.Route, e.KeyName ?? "", e.Task ?? "");
            Cell(minutes, minute).AddEvent(e);
        }
        // An hour is the sum of its minutes: merging the (few) minute cells is cheaper than adding every event twice.
        var hours = new Dictionary<RollupKey, RollupAccumulator>();
        foreach (var (key, cell) in minutes)
        {
            Cell(hours, key with { Bucket = TimeBuckets.FloorHour(key.Bucket) }).Merge(cell);
        }
        return (minutes, hours);
    }

    /// <summary>The single-dimension deltas of full-cell deltas: each cell adds to one cell per dimension.</summary>
    internal static Dictionary<DimensionKey, RollupAccumulator> DimensionDeltas(Dictionary<RollupKey, RollupAccumulator> cells)
    {
        var dims = new Dictionary<DimensionKey, RollupAccumulator>();
        foreach (var (key, cell) in cells)
        {
            foreach (var dimension in Dimensions.Every)
            {
                Cell(dims, new DimensionKey(key.Bucket, dimension, Dimensions.ValueOf(key, dimension))).Merge(cell);
            }
        }
        return dims;
    }

    private static RollupAccumulator Cell<TKey>(Dictionary<TKey, RollupAccumulator> cells, TKey key) where TKey : notnull
    {
        if (!cells.TryGetValue(key, out var cell))
        {
            cell = new RollupAccumulator();
            cells.Add(key, cell);
        }
        return cell;
    }

    private static async Task WriteRollupsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction,
        List<OutcomeEvent> events, HashSet<(string, int)>? inserted, CancellationToken ct)
    {
        var (minutes, hours) = BuildDeltas(events, inserted);
        var dimMinutes = DimensionDeltas(minutes);
        var dimHours = DimensionDeltas(hours);

        await using (var prepare = new NpgsqlCommand($"{PrepareRollups};SELECT pg_advisory_xact_lock({RollupLock})", connection, transaction))
        {
            await prepare.ExecuteNonQueryAsync(ct);
        }
        // Under the lock: add the stored histograms of every touched cell into its delta.
        await using (var existing = new NpgsqlBatch(connection, transaction))
        {
            existing.BatchCommands.Add(Full.ExistingCommand(Full.Minute, minutes.Keys));
            existing.BatchCommands.Add(Full.ExistingCommand(Full.Hour, hours.Keys));
            existing.BatchCommands.Add(Single.ExistingCommand(Single.Minute, dimMinutes.Keys));
            existing.BatchCommands.Add(Single.ExistingCommand(Single.Hour, dimHours.Keys));
            await using var reader = await existing.ExecuteReaderAsync(ct);
            await Full.MergeExistingAsync(reader, minutes, ct);
            await reader.NextResultAsync(ct);
            await Full.MergeExistingAsync(reader, hours, ct);
            await reader.NextResultAsync(ct);
            await Single.MergeExistingAsync(reader, dimMinutes, ct);
            await reader.NextResultAsync(ct);
            await Single.MergeExistingAsync(reader, dimHours, ct);
        }
        await Full.CopyAsync(connection, minutes, hours, ct);
        await Single.CopyAsync(connection, dimMinutes, dimHours, ct);
        await using var upsert = new NpgsqlBatch(connection, transaction)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand(Full.Upsert(Full.Minute, 'm')), new NpgsqlBatchCommand(Full.Upsert(Full.Hour, 'h')),
                new NpgsqlBatchCommand(Single.Upsert(Single.Minute, 'm')), new NpgsqlBatchCommand(Single.Upsert(Single.Hour, 'h')),
            },
        };
        await upsert.ExecuteNonQueryAsync(ct);
    }

    // Field writes are synchronous on purpose: they only fill Npgsql's buffer (flushing when full), and the async
    // overloads cost a state machine per field, which was most of the COPY time at 10,000 events per batch.
    private static async Task CopyEventsAsync(NpgsqlConnection connection, string table, List<OutcomeEvent> events, CancellationToken ct)
    {
        await using var copy = await connection.BeginBinaryImportAsync($"COPY {table} ({Columns}) FROM STDIN (FORMAT BINARY)", ct);
        foreach (var e in events)
        {
            copy.StartRow();
            copy.Write(e.StartedAt.ToUniversalTime(), NpgsqlDbType.TimestampTz);
            copy.Write(e.RequestId, NpgsqlDbType.Text);
            copy.Write(e.Attempt, NpgsqlDbType.Integer);
            copy.Write(KindName(e.Kind), NpgsqlDbType.Text);
            copy.Write(e.Hedged, NpgsqlDbType.Boolean);
            WriteText(copy, e.KeyName);
            copy.Write(e.Route, NpgsqlDbType.Text);
            WriteText(copy, e.Task);
            copy.Write(e.Provider, NpgsqlDbType.Text);
            WriteText(copy, e.ProviderType);
            copy.Write(e.Model, NpgsqlDbType.Text);
            WriteText(copy, e.ModelReported);
            copy.Write(e.Drift, NpgsqlDbType.Boolean);
            copy.Write(e.Stream, NpgsqlDbType.Boolean);
            copy.Write(OutcomeName(e.Outcome), NpgsqlDbType.Text);
            copy.Write(e.Winner, NpgsqlDbType.Boolean);
            copy.Write(Accounting.IsCounted(e), NpgsqlDbType.Boolean);
            copy.Write(e.Status, NpgsqlDbType.Integer);
            WriteText(copy, e.Error is { } error ? ErrorName(error) : null);
            WriteText(copy, e.ErrorMessage);
            copy.Write(e.LatencyMs, NpgsqlDbType.Double);
            WriteDouble(copy, e.TtftMs);
            copy.Write(e.ClientStatus, NpgsqlDbType.Integer);
            copy.Write(e.ClientLatencyMs, NpgsqlDbType.Double);
            WriteDouble(copy, e.ClientTtftMs);
            copy.Write(e.Attempts, NpgsqlDbType.Integer);
            copy.Write(e.InputTokens, NpgsqlDbType.Integer);
            copy.Write(e.OutputTokens, NpgsqlDbType.Integer);
            copy.Write(e.CachedInputTokens, NpgsqlDbType.Integer);
            copy.Write(e.CacheWriteTokens, NpgsqlDbType.Integer);
            copy.Write(e.ReasoningTokens, NpgsqlDbType.Integer);
            copy.Write(e.TokensEstimated, NpgsqlDbType.Boolean);
            copy.Write(e.CostUsd, NpgsqlDbType.Numeric);
            if (e.Tier is { } tier)
            {
                copy.Write(tier, NpgsqlDbType.Integer);
            }
            else
            {
                copy.WriteNull();
            }
            WriteDouble(copy, e.Confidence);
            WriteText(copy, e.Gateway);
        }
        await copy.CompleteAsync(ct);
    }

    // Enum names without Enum.ToString's per-call formatting.
    private static readonly string[] KindNames = Enum.GetNames<AttemptKind>();
    private static readonly string[] OutcomeNames = Enum.GetNames<AttemptOutcome>();
    private static readonly string[] ErrorNames = Enum.GetNames<ErrorClass>();

    private static string KindName(AttemptKind kind) => (uint)kind < (uint)KindNames.Length ? KindNames[(int)kind] : kind.ToString();

    private static string OutcomeName(AttemptOutcome outcome) =>
        (uint)outcome < (uint)OutcomeNames.Length ? OutcomeNames[(int)outcome] : outcome.ToString();

    private static string ErrorName(ErrorClass error) => (uint)error < (uint)ErrorNames.Length ? ErrorNames[(int)error] : error.ToString();

    internal static void WriteText(NpgsqlBinaryImporter copy, string? value)
    {
        if (value is null)
        {
            copy.WriteNull();
        }
        else
        {
            copy.Write(value, NpgsqlDbType.Text);
        }
    }

    private static void WriteDouble(NpgsqlBinaryImporter copy, double? value)
    {
        if (value is { } v)
        {
            copy.Write(v, NpgsqlDbType.Double);
        }
        else
        {
            copy.WriteNull();
        }
    }
}

/// <summary>Rows a batch really inserted, and events it skipped because they were already stored.</summary>
internal readonly record struct BatchResult(int Inserted, int Duplicates);
