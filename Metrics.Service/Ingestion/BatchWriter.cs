using Npgsql;
using NpgsqlTypes;
using Switchboard.Contracts.Outcomes;
using Switchboard.Metrics.Data;
using Switchboard.Metrics.Rollups;

namespace Switchboard.Metrics.Ingestion;

/// <summary>
/// Writes a batch of outcome events in one transaction: binary COPY into a temporary staging table, then
/// <c>INSERT ... SELECT ... ON CONFLICT (request_id, attempt) DO NOTHING RETURNING</c>, then the minute and hour
/// rollups upserted from the rows that were really inserted. A replayed event inserts nothing and so adds nothing
/// to the rollups; the caller acknowledges the stream entries only after this returns.
/// Rollup histograms are merged here, not in SQL: the rows of the current minute and hour are touched by every batch
/// and their histograms grow to hundreds of buckets, which a PL/pgSQL merge did at ~1 us a bucket. Under a
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

    private const string RollupColumns =
        "bucket, provider, model, route, key_name, task, requests, errors, attempts, attempt_failures, cost_usd, " +
        "useful_cost_usd, hedge_cost_usd, retry_cost_usd, input_tokens, output_tokens, cached_input_tokens, " +
        "reasoning_tokens, latency_hist, ttft_hist";

    private const string Prepare =
        "CREATE TEMP TABLE IF NOT EXISTS request_log_staging (LIKE request_log INCLUDING DEFAULTS) ON COMMIT DELETE ROWS;" +
        "CREATE TEMP TABLE IF NOT EXISTS rollup_staging (grain \"char\" NOT NULL, LIKE rollup_minute) ON COMMIT DELETE ROWS;";

    private const string Insert =
        $"INSERT INTO request_log ({Columns}) SELECT {Columns} FROM request_log_staging " +
        "ON CONFLICT (request_id, attempt) DO NOTHING RETURNING request_id, attempt";

    private const long RollupLock = 0x5B_4D_45_54; // any constant shared by every Metrics.Service instance

    private static readonly string UpsertMinute = Upsert("rollup_minute", 'm');
    private static readonly string UpsertHour = Upsert("rollup_hour", 'h');
    private static readonly string ExistingMinute = Existing("rollup_minute");
    private static readonly string ExistingHour = Existing("rollup_hour");

    public async Task<BatchResult> WriteAsync(IReadOnlyList<OutcomeEvent> events, CancellationToken cancellationToken)
    {
        var unique = Deduplicate(events);
        await using var lease = await database.OpenAsync(cancellationToken);
        var connection = lease.Connection;
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var prepare = new NpgsqlCommand(Prepare, connection, transaction))
        {
            await prepare.ExecuteNonQueryAsync(cancellationToken);
        }
        await CopyEventsAsync(connection, unique, cancellationToken);

        var inserted = new HashSet<(string, int)>();
        await using (var insert = new NpgsqlCommand(Insert, connection, transaction))
        await using (var reader = await insert.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                inserted.Add((reader.GetString(0), reader.GetInt32(1)));
            }
        }

        if (inserted.Count > 0)
        {
            var (minutes, hours) = BuildDeltas(unique, inserted);
            await MergeExistingAsync(connection, transaction, minutes, hours, cancellationToken);
            await CopyRollupsAsync(connection, minutes, hours, cancellationToken);
            await using var batch = new NpgsqlBatch(connection, transaction)
            {
                BatchCommands = { new NpgsqlBatchCommand(UpsertMinute), new NpgsqlBatchCommand(UpsertHour) },
            };
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return new BatchResult(inserted.Count, events.Count - inserted.Count);
    }

    private static List<OutcomeEvent> Deduplicate(IReadOnlyList<OutcomeEvent> events)
    {
        var seen = new HashSet<(string, int)>();
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

    internal static (Dictionary<RollupKey, RollupAccumulator> Minutes, Dictionary<RollupKey, RollupAccumulator> Hours) BuildDeltas(
        IEnumerable<OutcomeEvent> events, HashSet<(string, int)> inserted)
    {
        var minutes = new Dictionary<RollupKey, RollupAccumulator>();
        var hours = new Dictionary<RollupKey, RollupAccumulator>();
        foreach (var e in events)
        {
            if (!inserted.Contains((e.RequestId, e.Attempt)))
            {
                continue;
            }
            var minute = new RollupKey(TimeBuckets.FloorMinute(e.StartedAt), e.Provider, e.Model, e.Route, e.KeyName ?? "", e.Task ?? "");
            Cell(minutes, minute).AddEvent(e);
            Cell(hours, minute with { Bucket = TimeBuckets.FloorHour(e.StartedAt) }).AddEvent(e);
        }
        return (minutes, hours);
    }

    private static RollupAccumulator Cell(Dictionary<RollupKey, RollupAccumulator> cells, RollupKey key)
    {
        if (!cells.TryGetValue(key, out var cell))
        {
            cell = new RollupAccumulator();
            cells.Add(key, cell);
        }
        return cell;
    }

    // Field writes are synchronous on purpose: they only fill Npgsql's buffer (flushing when full), and the async
    // overloads cost a state machine per field, which was most of the COPY time at 10,000 events per batch.
    private static async Task CopyEventsAsync(NpgsqlConnection connection, List<OutcomeEvent> events, CancellationToken ct)
    {
        await using var copy = await connection.BeginBinaryImportAsync(
            $"COPY request_log_staging ({Columns}) FROM STDIN (FORMAT BINARY)", ct);
        foreach (var e in events)
        {
            copy.StartRow();
            copy.Write(e.StartedAt.ToUniversalTime(), NpgsqlDbType.TimestampTz);
            copy.Write(e.RequestId, NpgsqlDbType.Text);
            copy.Write(e.Attempt, NpgsqlDbType.Integer);
            copy.Write(e.Kind.ToString(), NpgsqlDbType.Text);
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
            copy.Write(e.Outcome.ToString(), NpgsqlDbType.Text);
            copy.Write(e.Winner, NpgsqlDbType.Boolean);
            copy.Write(Accounting.IsCounted(e), NpgsqlDbType.Boolean);
            copy.Write(e.Status, NpgsqlDbType.Integer);
            WriteText(copy, e.Error?.ToString());
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

    private static async Task CopyRollupsAsync(NpgsqlConnection connection,
        Dictionary<RollupKey, RollupAccumulator> minutes, Dictionary<RollupKey, RollupAccumulator> hours, CancellationToken ct)
    {
        await using var copy = await connection.BeginBinaryImportAsync(
            $"COPY rollup_staging (grain, {RollupColumns}) FROM STDIN (FORMAT BINARY)", ct);
        foreach (var (grain, cells) in new[] { ('m', minutes), ('h', hours) })
        {
            foreach (var (key, cell) in cells)
            {
                copy.StartRow();
                copy.Write(grain, NpgsqlDbType.InternalChar);
                copy.Write(key.Bucket, NpgsqlDbType.TimestampTz);
                copy.Write(key.Provider, NpgsqlDbType.Text);
                copy.Write(key.Model, NpgsqlDbType.Text);
                copy.Write(key.Route, NpgsqlDbType.Text);
                copy.Write(key.KeyName, NpgsqlDbType.Text);
                copy.Write(key.Task, NpgsqlDbType.Text);
                copy.Write(cell.Requests, NpgsqlDbType.Bigint);
                copy.Write(cell.Errors, NpgsqlDbType.Bigint);
                copy.Write(cell.Attempts, NpgsqlDbType.Bigint);
                copy.Write(cell.AttemptFailures, NpgsqlDbType.Bigint);
                copy.Write(cell.CostUsd, NpgsqlDbType.Numeric);
                copy.Write(cell.UsefulCostUsd, NpgsqlDbType.Numeric);
                copy.Write(cell.HedgeCostUsd, NpgsqlDbType.Numeric);
                copy.Write(cell.RetryCostUsd, NpgsqlDbType.Numeric);
                copy.Write(cell.InputTokens, NpgsqlDbType.Bigint);
                copy.Write(cell.OutputTokens, NpgsqlDbType.Bigint);
                copy.Write(cell.CachedInputTokens, NpgsqlDbType.Bigint);
                copy.Write(cell.ReasoningTokens, NpgsqlDbType.Bigint);
                WriteHistogram(copy, cell.Latency.Pack());
                WriteHistogram(copy, cell.Ttft.Pack());
            }
        }
        await copy.CompleteAsync(ct);
    }

    private static string Upsert(string table, char grain)
    {
        const string sum = "requests, errors, attempts, attempt_failures, cost_usd, useful_cost_usd, hedge_cost_usd, " +
                           "retry_cost_usd, input_tokens, output_tokens, cached_input_tokens, reasoning_tokens";
        var sums = string.Join(", ", sum.Split(", ").Select(c => $"{c} = r.{c} + excluded.{c}"));
        // Counts are added here; the histograms in the staging rows are already the merged totals.
        return $"INSERT INTO {table} AS r ({RollupColumns}) SELECT {RollupColumns} FROM rollup_staging WHERE grain = '{grain}' " +
               "ON CONFLICT (bucket, provider, model, route, key_name, task) DO UPDATE SET " + sums +
               ", latency_hist = excluded.latency_hist, ttft_hist = excluded.ttft_hist";
    }

    private static string Existing(string table) =>
        $"SELECT r.bucket, r.provider, r.model, r.route, r.key_name, r.task, r.latency_hist, r.ttft_hist FROM {table} r " +
        "JOIN unnest(@bucket, @provider, @model, @route, @key_name, @task) AS k(bucket, provider, model, route, key_name, task) " +
        "USING (bucket, provider, model, route, key_name, task)";

    /// <summary>Adds the stored histograms of every touched cell into its delta, under the rollup lock.</summary>
    private static async Task MergeExistingAsync(NpgsqlConnection connection, NpgsqlTransaction transaction,
        Dictionary<RollupKey, RollupAccumulator> minutes, Dictionary<RollupKey, RollupAccumulator> hours, CancellationToken ct)
    {
        await using (var take = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({RollupLock})", connection, transaction))
        {
            await take.ExecuteNonQueryAsync(ct);
        }
        await using var batch = new NpgsqlBatch(connection, transaction);
        batch.BatchCommands.Add(KeysCommand(ExistingMinute, minutes.Keys));
        batch.BatchCommands.Add(KeysCommand(ExistingHour, hours.Keys));
        await using var reader = await batch.ExecuteReaderAsync(ct);
        foreach (var cells in new[] { minutes, hours })
        {
            while (await reader.ReadAsync(ct))
            {
                var key = new RollupKey(reader.GetFieldValue<DateTimeOffset>(0), reader.GetString(1), reader.GetString(2),
                    reader.GetString(3), reader.GetString(4), reader.GetString(5));
                var cell = cells[key];
                cell.Latency.AddPacked(reader.IsDBNull(6) ? null : reader.GetFieldValue<long[]>(6));
                cell.Ttft.AddPacked(reader.IsDBNull(7) ? null : reader.GetFieldValue<long[]>(7));
            }
            await reader.NextResultAsync(ct);
        }
    }

    private static NpgsqlBatchCommand KeysCommand(string sql, ICollection<RollupKey> keys)
    {
        var command = new NpgsqlBatchCommand(sql);
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset[]>("bucket", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz)
        {
            TypedValue = [.. keys.Select(k => k.Bucket)],
        });
        foreach (var (name, pick) in new (string, Func<RollupKey, string>)[]
                 {
                     ("provider", k => k.Provider), ("model", k => k.Model), ("route", k => k.Route),
                     ("key_name", k => k.KeyName), ("task", k => k.Task),
                 })
        {
            command.Parameters.Add(new NpgsqlParameter<string[]>(name, NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. keys.Select(pick)] });
        }
        return command;
    }

    private static void WriteText(NpgsqlBinaryImporter copy, string? value)
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

    private static void WriteHistogram(NpgsqlBinaryImporter copy, long[]? packed)
    {
        if (packed is null)
        {
            copy.WriteNull();
        }
        else
        {
            copy.Write(packed, NpgsqlDbType.Array | NpgsqlDbType.Bigint);
        }
    }
}

/// <summary>Rows a batch really inserted, and events it skipped because they were already stored.</summary>
internal readonly record struct BatchResult(int Inserted, int Duplicates);
