using Npgsql;
using NpgsqlTypes;
using Switchboard.Metrics.Rollups;

namespace Switchboard.Metrics.Ingestion;

/// <summary>
/// A pair of rollup tables (minute and hour) keyed by bucket and some text columns, and the SQL the batch writer runs
/// on them: read the stored histograms of the cells a batch touches, COPY the merged cells into a staging table, upsert.
/// </summary>
internal sealed class RollupTable<TKey>(
    string minute,
    string hour,
    string staging,
    string[] keyColumns,
    Func<TKey, DateTimeOffset> bucketOf,
    Func<TKey, int, string> keyPart,
    Func<NpgsqlDataReader, TKey> readKey)
    where TKey : notnull
{
    /// <summary>Summed on upsert; the histograms that follow them are written as merged totals.</summary>
    public const string Sums =
        "requests, errors, attempts, attempt_failures, cost_usd, useful_cost_usd, hedge_cost_usd, retry_cost_usd, " +
        "input_tokens, output_tokens, cached_input_tokens, reasoning_tokens";

    private readonly string _keys = "bucket, " + string.Join(", ", keyColumns);

    public string Minute => minute;

    public string Hour => hour;

    /// <summary>Creates the session's staging table once; it empties itself at every commit.</summary>
    public string Prepare =>
        $"CREATE TEMP TABLE IF NOT EXISTS {staging} (grain \"char\" NOT NULL, LIKE {minute}) ON COMMIT DELETE ROWS";

    private string AllColumns => $"{_keys}, {Sums}, latency_hist, ttft_hist";

    public NpgsqlBatchCommand ExistingCommand(string table, ICollection<TKey> keys)
    {
        var command = new NpgsqlBatchCommand(
            $"SELECT r.{_keys.Replace(", ", ", r.", StringComparison.Ordinal)}, r.latency_hist, r.ttft_hist FROM {table} r " +
            $"JOIN unnest(@bucket, {string.Join(", ", keyColumns.Select(c => "@" + c))}) AS k({_keys}) USING ({_keys})");
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset[]>("bucket", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz)
        {
            TypedValue = [.. keys.Select(bucketOf)],
        });
        for (var i = 0; i < keyColumns.Length; i++)
        {
            var part = i;
            command.Parameters.Add(new NpgsqlParameter<string[]>(keyColumns[i], NpgsqlDbType.Array | NpgsqlDbType.Text)
            {
                TypedValue = [.. keys.Select(k => keyPart(k, part))],
            });
        }
        return command;
    }

    /// <summary>Adds the stored histograms of one <see cref="ExistingCommand"/> result into the deltas.</summary>
    public async Task MergeExistingAsync(NpgsqlDataReader reader, Dictionary<TKey, RollupAccumulator> cells, CancellationToken ct)
    {
        var latency = 1 + keyColumns.Length;
        while (await reader.ReadAsync(ct))
        {
            var cell = cells[readKey(reader)];
            cell.Latency.AddPacked(reader.IsDBNull(latency) ? null : reader.GetFieldValue<long[]>(latency));
            cell.Ttft.AddPacked(reader.IsDBNull(latency + 1) ? null : reader.GetFieldValue<long[]>(latency + 1));
        }
    }

    public async Task CopyAsync(NpgsqlConnection connection, Dictionary<TKey, RollupAccumulator> minutes,
        Dictionary<TKey, RollupAccumulator> hours, CancellationToken ct)
    {
        await using var copy = await connection.BeginBinaryImportAsync(
            $"COPY {staging} (grain, {AllColumns}) FROM STDIN (FORMAT BINARY)", ct);
        foreach (var (grain, cells) in new[] { ('m', minutes), ('h', hours) })
        {
            foreach (var (key, cell) in cells)
            {
                copy.StartRow();
                copy.Write(grain, NpgsqlDbType.InternalChar);
                copy.Write(bucketOf(key), NpgsqlDbType.TimestampTz);
                for (var i = 0; i < keyColumns.Length; i++)
                {
                    copy.Write(keyPart(key, i), NpgsqlDbType.Text);
                }
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

    public string Upsert(string table, char grain)
    {
        var sums = string.Join(", ", Sums.Split(", ").Select(c => $"{c} = r.{c} + excluded.{c}"));
        return $"INSERT INTO {table} AS r ({AllColumns}) SELECT {AllColumns} FROM {staging} WHERE grain = '{grain}' " +
               $"ON CONFLICT ({_keys}) DO UPDATE SET {sums}, latency_hist = excluded.latency_hist, ttft_hist = excluded.ttft_hist";
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
