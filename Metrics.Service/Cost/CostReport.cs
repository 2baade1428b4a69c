using Switchboard.Metrics.Apis;
using Switchboard.Metrics.Rollups;

namespace Switchboard.Metrics.Cost;

/// <summary>
/// One row of <c>GET /api/cost</c>: what the group spent, split into useful cost (winners and everything else that
/// served a client), hedge cost (cancelled hedge losers) and retry cost (failed attempts).
/// </summary>
internal sealed record CostRow(
    string Group,
    decimal CostUsd,
    decimal UsefulCostUsd,
    decimal HedgeCostUsd,
    decimal RetryCostUsd,
    long Requests,
    long Attempts,
    long InputTokens,
    long OutputTokens,
    long CachedInputTokens,
    long ReasoningTokens);

internal sealed class CostReport(RollupReader reader)
{
    public async Task<IReadOnlyList<CostRow>> GetAsync(DateTimeOffset from, DateTimeOffset to, GroupBy groupBy, RollupFilter filter,
        CancellationToken cancellationToken)
    {
        var groups = await reader.ReadAsync(from, to, groupBy, filter, cancellationToken);
        return [.. groups
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new CostRow(
                QueryParameters.GroupName(g.Key),
                Math.Round(g.Value.CostUsd, 8),
                Math.Round(g.Value.UsefulCostUsd, 8),
                Math.Round(g.Value.HedgeCostUsd, 8),
                Math.Round(g.Value.RetryCostUsd, 8),
                g.Value.Requests,
                g.Value.Attempts,
                g.Value.InputTokens,
                g.Value.OutputTokens,
                g.Value.CachedInputTokens,
                g.Value.ReasoningTokens))];
    }
}
