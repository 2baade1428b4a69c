using Switchboard.Contracts.Routing;
using Switchboard.Gateway.Accounting;
using Switchboard.Gateway.Configuration;
using Switchboard.Gateway.Health;

namespace Switchboard.Gateway.Routing;

/// <summary>
/// Orders a route's targets for one request by its strategy, and leaves out deployments that health says are
/// unavailable (down, circuit open, credential refused). When every target is unavailable, all are tried in
/// order anyway: a request that might succeed beats a certain 502.
/// </summary>
internal static class TargetOrder
{
    public static Target[] For(ResolvedRoute route, IDeploymentHealth health, PriceTable prices)
    {
        var all = route.Targets;
        var available = new List<Target>(all.Length);
        foreach (var t in all)
        {
            if (health.IsAvailable(t.Provider.Name, t.Model))
            {
                available.Add(t);
            }
        }
        if (available.Count == 0)
        {
            return all;
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
                available.Sort((a, b) => (health.TtftMs(a.Provider.Name, a.Model) ?? double.MaxValue)
                    .CompareTo(health.TtftMs(b.Provider.Name, b.Model) ?? double.MaxValue));
                return [.. available];
            case RouteStrategies.LowestCost:
                available.Sort((a, b) => UnitPrice(prices, a).CompareTo(UnitPrice(prices, b)));
                return [.. available];
            default:
                return [.. available];
        }
    }

    private static decimal UnitPrice(PriceTable prices, Target t) =>
        prices.Find(t.Model) is { } p ? p.InputPerMTok + p.OutputPerMTok : decimal.MaxValue;

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
