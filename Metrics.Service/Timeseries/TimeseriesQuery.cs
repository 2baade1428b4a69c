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
/// single-dimension ones when the query allows, see <see cref="RollupSource"/>). Steps are
/// aligned to the UTC minute (or hour): the window is widened to whole steps.
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
        var cells = new Dictionary<string, Dictionary<DateTimeOffset, RollupAccumulator>>(StringComparer.Ordinal);
        var source = RollupSource.For(groupBy, filter);
        await using (var lease = await database.OpenAsync(cancellationToken))
        {
            await using var command = new NpgsqlCommand(
                $"SELECT {source.Group}, date_bin(@step, bucket, @origin), requests, errors, cost_usd, latency_hist, ttft_hist " +
                $"FROM {(hourly ? source.Hour : source.Minute)} WHERE bucket >= @from AND bucket < @to{source.Where}",
                lease.Connection);
            command.Parameters.Add(new NpgsqlParameter<TimeSpan>("step", NpgsqlDbType.Interval) { TypedValue = step });
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("origin", NpgsqlDbType.TimestampTz) { TypedValue = Origin });
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("from", NpgsqlDbType.TimestampTz) { TypedValue = start });
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("to", NpgsqlDbType.TimestampTz) { TypedValue = end });
            RollupReader.AddFilters(command.Parameters, filter);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var group = reader.GetString(0);
                if (!cells.TryGetValue(group, out var points))
                {
                    points = [];
                    cells.Add(group, points);
                }
                var t = reader.GetFieldValue<DateTimeOffset>(1);
                if (!points.TryGetValue(t, out var cell))
                {
                    cell = new RollupAccumulator();
                    points.Add(t, cell);
                }
                cell.Requests += reader.GetInt64(2);
                cell.Errors += reader.GetInt64(3);
                cell.CostUsd += reader.GetDecimal(4);
                cell.Latency.AddPacked(reader.IsDBNull(5) ? null : reader.GetFieldValue<long[]>(5));
                cell.Ttft.AddPacked(reader.IsDBNull(6) ? null : reader.GetFieldValue<long[]>(6));
            }
        }
        var series = new List<Series>(cells.Count);
        foreach (var (group, points) in cells.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            var list = new List<SeriesPoint>();
            for (var t = start; t < end; t += step)
            {
                list.Add(points.TryGetValue(t, out var c)
                    ? new SeriesPoint(t, c.Requests, c.Errors, c.Latency.Percentile(0.5), c.Latency.Percentile(0.95),
                        c.Latency.Percentile(0.99), c.Ttft.Percentile(0.95), Math.Round(c.CostUsd, 8))
                    : new SeriesPoint(t, 0, 0, null, null, null, null, 0));
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
}
