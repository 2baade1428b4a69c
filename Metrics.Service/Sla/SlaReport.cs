using Switchboard.Metrics.Apis;
using Switchboard.Metrics.Rollups;

namespace Switchboard.Metrics.Sla;

/// <summary>
/// One row of <c>GET /api/sla</c> (CONTRACT.md section 6); see <see cref="Accounting"/> for what each count means.
/// A group with no request of its own (say a provider whose attempts all lost or failed over to another) has
/// availability 1 (nothing the client saw failed there); its <see cref="Attempts"/> and
/// <see cref="AttemptFailures"/> tell the provider's own record.
/// </summary>
internal sealed record SlaRow(
    string Group,
    long Requests,
    long Errors,
    double Availability,
    Percentiles LatencyMs,
    Percentiles TtftMs,
    decimal CostUsd,
    long Attempts,
    long AttemptFailures);

/// <summary>p50, p95 and p99 in milliseconds (null when nothing was measured).</summary>
internal sealed record Percentiles(double? P50, double? P95, double? P99)
{
    public static Percentiles Of(LatencyHistogram histogram) =>
        new(histogram.Percentile(0.50), histogram.Percentile(0.95), histogram.Percentile(0.99));
}

internal sealed class SlaReport(RollupReader reader)
{
    public async Task<IReadOnlyList<SlaRow>> GetAsync(DateTimeOffset from, DateTimeOffset to, GroupBy groupBy, RollupFilter filter,
        CancellationToken cancellationToken)
    {
        var groups = await reader.ReadAsync(from, to, groupBy, filter, cancellationToken);
        return [.. groups
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new SlaRow(
                QueryParameters.GroupName(g.Key),
                g.Value.Requests,
                g.Value.Errors,
                g.Value.Availability ?? 1.0,
                Percentiles.Of(g.Value.Latency),
                Percentiles.Of(g.Value.Ttft),
                Math.Round(g.Value.CostUsd, 8),
                g.Value.Attempts,
                g.Value.AttemptFailures))];
    }
}
