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

    private static readonly string UpsertMinute = Upsert("rollup_minute", 'm');
    private static readonly string UpsertHour = Upsert("rollup_hour", 'h');

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

    private static async Task CopyEventsAsync(NpgsqlConnection connection, List<OutcomeEvent> events, CancellationToken ct)
    {
        await using var copy = await connection.BeginBinaryImportAsync(
            $"COPY request_log_staging ({Columns}) FROM STDIN (FORMAT BINARY)", ct);
        foreach (var e in events)
        {
            await copy.StartRowAsync(ct);
            await copy.WriteAsync(e.StartedAt.ToUniversalTime(), NpgsqlDbType.TimestampTz, ct);
            await copy.WriteAsync(e.RequestId, NpgsqlDbType.Text, ct);
            await copy.WriteAsync(e.Attempt, NpgsqlDbType.Integer, ct);
            await copy.WriteAsync(e.Kind.ToString(), NpgsqlDbType.Text, ct);
            await copy.WriteAsync(e.Hedged, NpgsqlDbType.Boolean, ct);
            await WriteTextAsync(copy, e.KeyName, ct);
            await copy.WriteAsync(e.Route, NpgsqlDbType.Text, ct);
            await WriteTextAsync(copy, e.Task, ct);
            await copy.WriteAsync(e.Provider, NpgsqlDbType.Text, ct);
            await WriteTextAsync(copy, e.ProviderType, ct);
            await copy.WriteAsync(e.Model, NpgsqlDbType.Text, ct);
            await WriteTextAsync(copy, e.ModelReported, ct);
            await copy.WriteAsync(e.Drift, NpgsqlDbType.Boolean, ct);
            await copy.WriteAsync(e.Stream, NpgsqlDbType.Boolean, ct);
            await copy.WriteAsync(e.Outcome.ToString(), NpgsqlDbType.Text, ct);
            await copy.WriteAsync(e.Winner, NpgsqlDbType.Boolean, ct);
            await copy.WriteAsync(Accounting.IsCounted(e), NpgsqlDbType.Boolean, ct);
            await copy.WriteAsync(e.Status, NpgsqlDbType.Integer, ct);
            await WriteTextAsync(copy, e.Error?.ToString(), ct);
            await WriteTextAsync(copy, e.ErrorMessage, ct);
            await copy.WriteAsync(e.LatencyMs, NpgsqlDbType.Double, ct);
            await WriteDoubleAsync(copy, e.TtftMs, ct);
            await copy.WriteAsync(e.ClientStatus, NpgsqlDbType.Integer, ct);
            await copy.WriteAsync(e.ClientLatencyMs, NpgsqlDbType.Double, ct);
            await WriteDoubleAsync(copy, e.ClientTtftMs, ct);
            await copy.WriteAsync(e.Attempts, NpgsqlDbType.Integer, ct);
            await copy.WriteAsync(e.InputTokens, NpgsqlDbType.Integer, ct);
            await copy.WriteAsync(e.OutputTokens, NpgsqlDbType.Integer, ct);
            await copy.WriteAsync(e.CachedInputTokens, NpgsqlDbType.Integer, ct);
            await copy.WriteAsync(e.CacheWriteTokens, NpgsqlDbType.Integer, ct);
            await copy.WriteAsync(e.ReasoningTokens, NpgsqlDbType.Integer, ct);
            await copy.WriteAsync(e.TokensEstimated, NpgsqlDbType.Boolean, ct);
            await copy.WriteAsync(e.CostUsd, NpgsqlDbType.Numeric, ct);
            if (e.Tier is { } tier)
            {
                await copy.WriteAsync(tier, NpgsqlDbType.Integer, ct);
            }
            else
            {
                await copy.WriteNullAsync(ct);
            }
            await WriteDoubleAsync(copy, e.Confidence, ct);
            await WriteTextAsync(copy, e.Gateway, ct);
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
                await copy.StartRowAsync(ct);
                await copy.WriteAsync(grain, NpgsqlDbType.InternalChar, ct);
                await copy.WriteAsync(key.Bucket, NpgsqlDbType.TimestampTz, ct);
                await copy.WriteAsync(key.Provider, NpgsqlDbType.Text, ct);
                await copy.WriteAsync(key.Model, NpgsqlDbType.Text, ct);
                await copy.WriteAsync(key.Route, NpgsqlDbType.Text, ct);
                await copy.WriteAsync(key.KeyName, NpgsqlDbType.Text, ct);
                await copy.WriteAsync(key.Task, NpgsqlDbType.Text, ct);
                await copy.WriteAsync(cell.Requests, NpgsqlDbType.Bigint, ct);
                await copy.WriteAsync(cell.Errors, NpgsqlDbType.Bigint, ct);
                await copy.WriteAsync(cell.Attempts, NpgsqlDbType.Bigint, ct);
                await copy.WriteAsync(cell.AttemptFailures, NpgsqlDbType.Bigint, ct);
                await copy.WriteAsync(cell.CostUsd, NpgsqlDbType.Numeric, ct);
                await copy.WriteAsync(cell.UsefulCostUsd, NpgsqlDbType.Numeric, ct);
                await copy.WriteAsync(cell.HedgeCostUsd, NpgsqlDbType.Numeric, ct);
                await copy.WriteAsync(cell.RetryCostUsd, NpgsqlDbType.Numeric, ct);
                await copy.WriteAsync(cell.InputTokens, NpgsqlDbType.Bigint, ct);
                await copy.WriteAsync(cell.OutputTokens, NpgsqlDbType.Bigint, ct);
                await copy.WriteAsync(cell.CachedInputTokens, NpgsqlDbType.Bigint, ct);
                await copy.WriteAsync(cell.ReasoningTokens, NpgsqlDbType.Bigint, ct);
                await WriteHistogramAsync(copy, cell.Latency.Pack(), ct);
                await WriteHistogramAsync(copy, cell.Ttft.Pack(), ct);
            }
        }
        await copy.CompleteAsync(ct);
    }

    private static string Upsert(string table, char grain)
    {
        const string sum = "requests, errors, attempts, attempt_failures, cost_usd, useful_cost_usd, hedge_cost_usd, " +
                           "retry_cost_usd, input_tokens, output_tokens, cached_input_tokens, reasoning_tokens";
        var sums = string.Join(", ", sum.Split(", ").Select(c => $"{c} = r.{c} + excluded.{c}"));
        // ORDER BY: every consumer locks rollup rows in the same order, so concurrent batches cannot deadlock.
        return $"INSERT INTO {table} AS r ({RollupColumns}) SELECT {RollupColumns} FROM rollup_staging WHERE grain = '{grain}' " +
               "ORDER BY bucket, provider, model, route, key_name, task " +
               "ON CONFLICT (bucket, provider, model, route, key_name, task) DO UPDATE SET " + sums +
               ", latency_hist = sb_hist_add(r.latency_hist, excluded.latency_hist)" +
               ", ttft_hist = sb_hist_add(r.ttft_hist, excluded.ttft_hist)";
    }

    private static async Task WriteTextAsync(NpgsqlBinaryImporter copy, string? value, CancellationToken ct)
    {
        if (value is null)
        {
            await copy.WriteNullAsync(ct);
        }
        else
        {
            await copy.WriteAsync(value, NpgsqlDbType.Text, ct);
        }
    }

    private static async Task WriteDoubleAsync(NpgsqlBinaryImporter copy, double? value, CancellationToken ct)
    {
        if (value is { } v)
        {
            await copy.WriteAsync(v, NpgsqlDbType.Double, ct);
        }
        else
        {
            await copy.WriteNullAsync(ct);
        }
    }

    private static async Task WriteHistogramAsync(NpgsqlBinaryImporter copy, long[]? packed, CancellationToken ct)
    {
        if (packed is null)
        {
            await copy.WriteNullAsync(ct);
        }
        else
        {
            await copy.WriteAsync(packed, NpgsqlDbType.Array | NpgsqlDbType.Bigint, ct);
        }
    }
}

/// <summary>Rows a batch really inserted, and events it skipped because they were already stored.</summary>
internal readonly record struct BatchResult(int Inserted, int Duplicates);
