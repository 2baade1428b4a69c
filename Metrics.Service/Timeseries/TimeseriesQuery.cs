using Npgsql;
using NpgsqlTypes;
using Switchboard.Metrics.Apis;
using Switchboard.Metrics.Data;
using Switchboard.Metrics.Rollups;

namespace Switchboard.Metrics.Timeseries;

/// <summary>One series of <c>GET /api/timeseries</c>: a group and its points, one per step, empty steps included.</summary>
internal sealed record Series(string Group, IReadOnlyList<SeriesPoint> Points);

/// <summary>One step of a series (percentiles in ms, null when the step had no request).</summary>
internal sealed record SeriesPoint(
    DateTimeOffset T, long Requests, long Errors, double? P50, double? P95, double? P99, double? TtftP95, decimal CostUsd);

/// <summary>
/// Per-step series for the charts, from the minute rollups (the hour rollups when the step is whole hours; the
/// single-dimension ones when the query allows, see <see cref="RollupSource"/>), in one query. Steps are
/// aligned to the UTC minute (or hour): the window is widened to whole steps. The rows come ordered by group and step,
/// so one point is summed at a time into one reused dense histogram pair: no histogram per point (a day at 5 minutes
/// by provider is ~1,700 points merging ~9,000 rows).
/// </summary>
internal sealed class TimeseriesQuery(MetricsDatabase database)
{
    public const int MaxPoints = 10_080;
    private static readonly DateTimeOffset Origin = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public async Task<IReadOnlyList<Series>> GetAsync(DateTimeOffset from, DateTimeOffset to, TimeSpan step, GroupBy groupBy,
        RollupFilter filter, CancellationToken cancellationToken)
    {
        var hourly = step.Ticks % TimeSpan.TicksPerHour == 0;
        var start = Floor(from, step);
        var end = Floor(to, step) == to ? to : Floor(to, step) + step;
        var points = new Dictionary<string, Dictionary<DateTimeOffset, SeriesPoint>>(StringComparer.Ordinal);
        var source = RollupSource.For(groupBy, filter);
        await using (var lease = await database.OpenAsync(cancellationToken))
        {
            await using var command = new NpgsqlCommand(
                $"SELECT {source.Group} AS g, date_bin(@step, bucket, @origin) AS t, requests, errors, cost_usd, latency_hist, ttft_hist " +
                $"FROM {(hourly ? source.Hour : source.Minute)} WHERE bucket >= @from AND bucket < @to{source.Where} ORDER BY g, t",
                lease.Connection);
            command.Parameters.Add(new NpgsqlParameter<TimeSpan>("step", NpgsqlDbType.Interval) { TypedValue = step });
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("origin", NpgsqlDbType.TimestampTz) { TypedValue = Origin });
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("from", NpgsqlDbType.TimestampTz) { TypedValue = start });
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("to", NpgsqlDbType.TimestampTz) { TypedValue = end });
            RollupReader.AddFilters(command.Parameters, filter);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            var point = new PointSum();
            while (await reader.ReadAsync(cancellationToken))
            {
                var group = reader.GetString(0);
                var t = reader.GetFieldValue<DateTimeOffset>(1);
                if (point.Group is not null && (t != point.T || !string.Equals(group, point.Group, StringComparison.Ordinal)))
                {
                    point.FlushInto(points);
                }
                point.Start(group, t);
                point.Requests += reader.GetInt64(2);
                point.Errors += reader.GetInt64(3);
                point.CostUsd += reader.GetDecimal(4);
                point.Latency.AddPacked(reader.IsDBNull(5) ? null : reader.GetFieldValue<long[]>(5));
                point.Ttft.AddPacked(reader.IsDBNull(6) ? null : reader.GetFieldValue<long[]>(6));
            }
            point.FlushInto(points);
        }
        var series = new List<Series>(points.Count);
        foreach (var (group, byStep) in points.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            var list = new List<SeriesPoint>();
            for (var t = start; t < end; t += step)
            {
                list.Add(byStep.TryGetValue(t, out var p) ? p : new SeriesPoint(t, 0, 0, null, null, null, null, 0));
            }
            series.Add(new Series(QueryParameters.GroupName(group), list));
        }
        return series;
    }

    private static DateTimeOffset Floor(DateTimeOffset t, TimeSpan step)
    {
        var ticks = t.UtcTicks - Origin.UtcTicks;
        return Origin.AddTicks(ticks - (((ticks % step.Ticks) + step.Ticks) % step.Ticks));
    }

    /// <summary>The sums of the point being read; reused for every point.</summary>
    private sealed class PointSum
    {
        public string? Group { get; private set; }
        public DateTimeOffset T { get; private set; }
        public long Requests { get; set; }
        public long Errors { get; set; }
        public decimal CostUsd { get; set; }
        public LatencyHistogram Latency { get; } = new(dense: true);
        public LatencyHistogram Ttft { get; } = new(dense: true);

        public void Start(string group, DateTimeOffset t)
        {
            Group = group;
            T = t;
        }

        public void FlushInto(Dictionary<string, Dictionary<DateTimeOffset, SeriesPoint>> points)
        {
            if (Group is null)
            {
                return;
            }
            if (!points.TryGetValue(Group, out var byStep))
            {
                byStep = [];
                points.Add(Group, byStep);
            }
            byStep[T] = new SeriesPoint(T, Requests, Errors, Latency.Percentile(0.5), Latency.Percentile(0.95),
                Latency.Percentile(0.99), Ttft.Percentile(0.95), Math.Round(CostUsd, 8));
            Group = null;
            Requests = 0;
            Errors = 0;
            CostUsd = 0;
            Latency.Clear();
            Ttft.Clear();
        }
    }
}
