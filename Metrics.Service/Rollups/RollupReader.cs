using System.Text;
using Npgsql;
using NpgsqlTypes;
using Switchboard.Contracts.Outcomes;
using Switchboard.Metrics.Data;

namespace Switchboard.Metrics.Rollups;

/// <summary>What a window is grouped by.</summary>
internal enum GroupBy
{
    Provider,
    Model,
    Route,
    Key,
    Task,
    Day,
}

/// <summary>Optional filters on a rollup read.</summary>
internal sealed record RollupFilter(string? Provider = null, string? Route = null, string? Key = null, IReadOnlyList<string>? Routes = null);

/// <summary>
/// Sums any window [from, to) exactly: whole hours from the hour rollups, whole minutes around them from the minute
/// rollups (the single-dimension ones when the query allows, see <see cref="RollupSource"/>), and the partial minutes at both edges from the raw request log (bucketed with the same
/// histogram), so a window need not be minute-aligned. Raw rows are kept for the raw retention only (30 days by
/// default): older windows are exact to the minute.
/// </summary>
internal sealed class RollupReader(MetricsDatabase database)
{
    private const string RollupSelect =
        "requests, errors, attempts, attempt_failures, cost_usd, useful_cost_usd, hedge_cost_usd, retry_cost_usd, " +
        "input_tokens, output_tokens, cached_input_tokens, reasoning_tokens, latency_hist, ttft_hist";

    private const string RawSelect =
        "counted, client_status, client_latency_ms, client_ttft_ms, outcome, winner, error_class, cost_usd, " +
        "input_tokens, output_tokens, cached_input_tokens, reasoning_tokens";

    public async Task<Dictionary<string, RollupAccumulator>> ReadAsync(
        DateTimeOffset from, DateTimeOffset to, GroupBy groupBy, RollupFilter filter, CancellationToken cancellationToken)
    {
        var plan = WindowPlan.Of(from, to);
        var groups = new Dictionary<string, RollupAccumulator>(StringComparer.Ordinal);
        await using var lease = await database.OpenAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(lease.Connection);

        var source = RollupSource.For(groupBy, filter);
        var rollups = new NpgsqlBatchCommand(
            $"SELECT {source.Group}, {RollupSelect} FROM {source.Minute} " +
            $"WHERE ((bucket >= @m0 AND bucket < @m1) OR (bucket >= @m2 AND bucket < @m3)){source.Where} " +
            $"UNION ALL SELECT {source.Group}, {RollupSelect} FROM {source.Hour} " +
            $"WHERE bucket >= @h0 AND bucket < @h1{source.Where}");
        AddRange(rollups, "m0", "m1", plan.MinutesBefore);
        AddRange(rollups, "m2", "m3", plan.MinutesAfter);
        AddRange(rollups, "h0", "h1", plan.Hours);
        AddFilters(rollups.Parameters, filter);
        batch.BatchCommands.Add(rollups);

        var raw = new NpgsqlBatchCommand(
            $"SELECT {RawGroup(groupBy)}, {RawSelect} FROM request_log " +
            $"WHERE ((started_at >= @r0 AND started_at < @r1) OR (started_at >= @r2 AND started_at < @r3)){Filters(filter, raw: true)}");
        AddRange(raw, "r0", "r1", plan.RawBefore);
        AddRange(raw, "r2", "r3", plan.RawAfter);
        AddFilters(raw.Parameters, filter);
        batch.BatchCommands.Add(raw);

        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var cell = Group(groups, reader.GetString(0));
            cell.Requests += reader.GetInt64(1);
            cell.Errors += reader.GetInt64(2);
            cell.Attempts += reader.GetInt64(3);
            cell.AttemptFailures += reader.GetInt64(4);
            cell.CostUsd += reader.GetDecimal(5);
            cell.UsefulCostUsd += reader.GetDecimal(6);
            cell.HedgeCostUsd += reader.GetDecimal(7);
            cell.RetryCostUsd += reader.GetDecimal(8);
            cell.InputTokens += reader.GetInt64(9);
            cell.OutputTokens += reader.GetInt64(10);
            cell.CachedInputTokens += reader.GetInt64(11);
            cell.ReasoningTokens += reader.GetInt64(12);
            cell.Latency.AddPacked(reader.IsDBNull(13) ? null : reader.GetFieldValue<long[]>(13));
            cell.Ttft.AddPacked(reader.IsDBNull(14) ? null : reader.GetFieldValue<long[]>(14));
        }
        await reader.NextResultAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            Group(groups, reader.GetString(0)).AddAttempt(ReadFacts(reader, 1));
        }
        return groups;
    }

    /// <summary>Reads <see cref="RawSelect"/> columns starting at <paramref name="first"/>.</summary>
    internal static AttemptFacts ReadFacts(NpgsqlDataReader reader, int first) => new(
        Counted: reader.GetBoolean(first),
        ClientStatus: reader.GetInt32(first + 1),
        ClientLatencyMs: reader.GetDouble(first + 2),
        ClientTtftMs: reader.IsDBNull(first + 3) ? null : reader.GetDouble(first + 3),
        Outcome: Enum.Parse<AttemptOutcome>(reader.GetString(first + 4)),
        Winner: reader.GetBoolean(first + 5),
        Error: reader.IsDBNull(first + 6) ? null : Enum.Parse<ErrorClass>(reader.GetString(first + 6)),
        CostUsd: reader.GetDecimal(first + 7),
        InputTokens: reader.GetInt32(first + 8),
        OutputTokens: reader.GetInt32(first + 9),
        CachedInputTokens: reader.GetInt32(first + 10),
        ReasoningTokens: reader.GetInt32(first + 11));

    internal static string RollupGroup(GroupBy groupBy) => groupBy switch
    {
        GroupBy.Provider => "provider",
        GroupBy.Model => "model",
        GroupBy.Route => "route",
        GroupBy.Key => "key_name",
        GroupBy.Task => "task",
        _ => DayOfBucket,
    };

    internal const string DayOfBucket = "to_char(bucket AT TIME ZONE 'UTC', 'YYYY-MM-DD')";

    private static string RawGroup(GroupBy groupBy) => groupBy switch
    {
        GroupBy.Provider => "provider",
        GroupBy.Model => "model",
        GroupBy.Route => "route",
        GroupBy.Key => "coalesce(key_name, '')",
        GroupBy.Task => "coalesce(task, '')",
        _ => "to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
    };

    internal static string Filters(RollupFilter filter, bool raw)
    {
        var sql = new StringBuilder();
        if (filter.Provider is not null) sql.Append(" AND provider = @provider");
        if (filter.Route is not null) sql.Append(" AND route = @route");
        if (filter.Key is not null) sql.Append(raw ? " AND coalesce(key_name, '') = @key" : " AND key_name = @key");
        if (filter.Routes is not null) sql.Append(" AND route = ANY(@routes)");
        return sql.ToString();
    }

    internal static void AddFilters(NpgsqlParameterCollection parameters, RollupFilter filter)
    {
        if (filter.Provider is not null) parameters.AddWithValue("provider", filter.Provider);
        if (filter.Route is not null) parameters.AddWithValue("route", filter.Route);
        if (filter.Key is not null) parameters.AddWithValue("key", filter.Key);
        if (filter.Routes is not null) parameters.AddWithValue("routes", filter.Routes.ToArray());
    }

    private static void AddRange(NpgsqlBatchCommand command, string start, string end, (DateTimeOffset Start, DateTimeOffset End) range)
    {
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>(start, NpgsqlDbType.TimestampTz) { TypedValue = range.Start });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>(end, NpgsqlDbType.TimestampTz) { TypedValue = range.End });
    }

    private static RollupAccumulator Group(Dictionary<string, RollupAccumulator> groups, string key)
    {
        if (!groups.TryGetValue(key, out var cell))
        {
            cell = new RollupAccumulator(dense: true);
            groups.Add(key, cell);
        }
        return cell;
    }
}

/// <summary>
/// Which rollup tables answer a group-by with its filters. The full rollups (one row per provider x model x route x key
/// x task) answer everything; the single-dimension rollups answer, with ~10-40x fewer rows, every query that touches one
/// dimension at most: group by it (filtered by it or not), or by day filtered by it or unfiltered (dimension "all").
/// </summary>
internal sealed record RollupSource(string Minute, string Hour, string Group, string Where)
{
    public static RollupSource For(GroupBy groupBy, RollupFilter filter)
    {
        var grouped = Dimensions.Of(groupBy);
        var touched = new HashSet<string>(StringComparer.Ordinal);
        if (grouped is not null) touched.Add(grouped);
        if (filter.Provider is not null) touched.Add(Dimensions.Provider);
        if (filter.Route is not null || filter.Routes is not null) touched.Add(Dimensions.Route);
        if (filter.Key is not null) touched.Add(Dimensions.Key);
        if (touched.Count > 1)
        {
            return new RollupSource("rollup_minute", "rollup_hour", RollupReader.RollupGroup(groupBy), RollupReader.Filters(filter, raw: false));
        }
        // The dimension is one of the constants above, never user input.
        var where = new StringBuilder($" AND dimension = '{touched.SingleOrDefault() ?? Dimensions.All}'");
        if (filter.Provider is not null) where.Append(" AND value = @provider");
        if (filter.Route is not null) where.Append(" AND value = @route");
        if (filter.Key is not null) where.Append(" AND value = @key");
        if (filter.Routes is not null) where.Append(" AND value = ANY(@routes)");
        return new RollupSource("rollup_dim_minute", "rollup_dim_hour", grouped is null ? RollupReader.DayOfBucket : "value", where.ToString());
    }
}

/// <summary>How a window [From, To) splits into raw edges, minute rollups and hour rollups (empty ranges have Start == End).</summary>
internal readonly record struct WindowPlan(
    (DateTimeOffset Start, DateTimeOffset End) RawBefore,
    (DateTimeOffset Start, DateTimeOffset End) MinutesBefore,
    (DateTimeOffset Start, DateTimeOffset End) Hours,
    (DateTimeOffset Start, DateTimeOffset End) MinutesAfter,
    (DateTimeOffset Start, DateTimeOffset End) RawAfter)
{
    public static WindowPlan Of(DateTimeOffset from, DateTimeOffset to)
    {
        from = from.ToUniversalTime();
        to = to.ToUniversalTime();
        var none = (to, to);
        if (to <= from)
        {
            return new WindowPlan(none, none, none, none, none);
        }
        var m0 = TimeBuckets.CeilMinute(from);
        var m1 = TimeBuckets.FloorMinute(to);
        if (m0 >= m1)
        {
            return new WindowPlan((from, to), none, none, none, none);
        }
        var h0 = TimeBuckets.CeilHour(m0);
        var h1 = TimeBuckets.FloorHour(m1);
        if (h0 >= h1)
        {
            return new WindowPlan((from, m0), (m0, m1), none, none, (m1, to));
        }
        return new WindowPlan((from, m0), (m0, h0), (h0, h1), (h1, m1), (m1, to));
    }
}
