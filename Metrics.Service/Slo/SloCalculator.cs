using Switchboard.Contracts.Routing;
using Switchboard.Metrics.Rollups;

namespace Switchboard.Metrics.Slo;

/// <summary>Objective of a route as the API shows it.</summary>
internal sealed record SloObjective(double? Availability, double? P95Ms, double? TtftP95Ms);

/// <summary>One row of <c>GET /api/slo</c>.</summary>
internal sealed record SloStatus(
    string Route,
    SloObjective Objective,
    DateTimeOffset From,
    DateTimeOffset To,
    long Requests,
    long Errors,
    double? Availability,
    double? P95Ms,
    double? TtftP95Ms,
    bool Compliant,
    double? ErrorBudgetRemaining,
    double? BurnRate1h,
    double? BurnRate6h,
    bool FastBurn);

/// <summary>
/// SLO math. Error budget = (1 - availability objective) x requests in the window; remaining = 1 - errors / budget
/// (1 = untouched, 0 = spent, negative = overspent). Burn rate over a short window = its error rate / (1 - objective):
/// 1 spends the budget exactly over the SLO window. A fast burn is the 1 h burn rate at or above the threshold with the
/// 5 min burn rate confirming it (so the alert clears soon after the burn stops).
/// </summary>
internal static class SloCalculator
{
    public static SloStatus Evaluate(string route, SloConfig slo, DateTimeOffset from, DateTimeOffset to,
        RollupAccumulator window, RollupAccumulator lastHour, RollupAccumulator last6Hours, RollupAccumulator last5Minutes,
        double fastBurnRate)
    {
        var availability = window.Availability;
        var p95 = window.Latency.Percentile(0.95);
        var ttftP95 = window.Ttft.Percentile(0.95);
        var compliant = (slo.Availability is not { } a || availability is not { } av || av >= a)
                        && (slo.P95Ms is not { } p || p95 is not { } pv || pv <= p)
                        && (slo.TtftP95Ms is not { } t || ttftP95 is not { } tv || tv <= t);
        double? budgetRemaining = null;
        double? burn1h = null;
        double? burn6h = null;
        var fastBurn = false;
        if (slo.Availability is { } target)
        {
            var allowed = 1.0 - target;
            budgetRemaining = window.Requests == 0 ? 1.0
                : allowed <= 0 ? (window.Errors == 0 ? 1.0 : 0.0)
                : Math.Round(1.0 - (window.Errors / (allowed * window.Requests)), 6);
            burn1h = BurnRate(lastHour, allowed);
            burn6h = BurnRate(last6Hours, allowed);
            fastBurn = burn1h >= fastBurnRate && BurnRate(last5Minutes, allowed) >= fastBurnRate;
        }
        return new SloStatus(route, new SloObjective(slo.Availability, slo.P95Ms, slo.TtftP95Ms), from, to,
            window.Requests, window.Errors, availability, p95, ttftP95, compliant, budgetRemaining, burn1h, burn6h, fastBurn);
    }

    public static double BurnRate(RollupAccumulator window, double allowedErrorRate)
    {
        if (window.Requests == 0)
        {
            return 0;
        }
        var errorRate = (double)window.Errors / window.Requests;
        return allowedErrorRate <= 0
            ? (errorRate > 0 ? double.PositiveInfinity : 0)
            : Math.Round(errorRate / allowedErrorRate, 4);
    }
}
