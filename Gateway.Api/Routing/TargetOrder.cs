using Switchboard.Contracts.Routing;
using Switchboard.Gateway.Accounting;
using Switchboard.Gateway.Configuration;
using Switchboard.Gateway.Health;
using Switchboard.Gateway.Limits;

namespace Switchboard.Gateway.Routing;

/// <summary>What target ordering needs besides the route.</summary>
internal readonly record struct RoutingSignals(
    IDeploymentHealth Health, IRateLimitHeadroom Headroom, ProviderLimiter Limits, PriceTable Prices, CostEstimate? Estimate, decimal? MaxCostUsd);

/// <summary>
/// Orders a route's targets for one request by its strategy, and leaves out the ones that should not be tried:
/// over the request's cost cap (<c>maxCostUsd</c>, always), no rate-limit headroom (learned from the provider's
/// headers or a configured limit reached), and deployments health says are unavailable (down, circuit open,
/// credential refused). When every target under the cap is unavailable, they are all tried in order anyway: a
/// request that might succeed beats a certain 502.
/// </summary>
internal static class TargetOrder
{
    public static Target[] For(ResolvedRoute route, in RoutingSignals signals)
    {
        ArgumentNullException.ThrowIfNull(route);
        var all = route.Targets;
        var affordable = all;
        if (signals.MaxCostUsd is { } cap && signals.Estimate is { } e)
        {
            var under = new List<Target>(all.Length);
            foreach (var t in all)
            {
                if (e.CostOn(signals.Prices, t.Model) <= cap)
                {
                    under.Add(t);
                }
            }
            affordable = under.Count > 0 ? [.. under] : all;
        }
        var available = new List<Target>(affordable.Length);
        foreach (var t in affordable)
        {
            // Health last: asking it may take a half-open circuit's single trial slot.
            if (signals.Headroom.HasHeadroom(t.Provider.Name) && signals.Limits.HasHeadroom(t.Provider)
                && signals.Health.IsAvailable(t.Provider.Name, t.Model))
            {
                available.Add(t);
            }
        }
        if (available.Count == 0)
        {
            return affordable;
        }
        if (available.Count == 1)
        {
            return [available[0]];
        }
        switch (route.Strategy)
        {
            case RouteStrategies.Weighted:
                return WeightedOrder(available);
            case RouteStrategies.LowestLatency:
                var health = signals.Health;
                // Unmeasured targets first (stable, in document order), so every target gets measured once.
                return [.. available.OrderBy(t => health.TtftMs(t.Provider.Name, t.Model) ?? -1)];
            case RouteStrategies.LowestCost:
                var prices = signals.Prices;
                var estimate = signals.Estimate ?? new CostEstimate(1_000, 1_000);
                return [.. available.OrderBy(t => prices.Find(t.Model) is null ? decimal.MaxValue : estimate.CostOn(prices, t.Model))];
            default:
                return [.. available];
        }
    }

    private static Target[] WeightedOrder(List<Target> targets)
    {
        // Weighted random order without replacement: each pick is proportional to the remaining weights.
        var result = new Target[targets.Count];
        var pool = new List<Target>(targets);
        for (var i = 0; i < result.Length; i++)
        {
            var total = 0d;
            foreach (var t in pool)
            {
                total += t.Weight;
            }
            var pick = 0;
            if (total > 0)
            {
                var r = Random.Shared.NextDouble() * total;
                for (; pick < pool.Count - 1; pick++)
                {
                    r -= pool[pick].Weight;
                    if (r < 0)
                    {
                        break;
                    }
                }
            }
            result[i] = pool[pick];
            pool.RemoveAt(pick);
        }
        return result;
    }
}
