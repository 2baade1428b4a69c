using Switchboard.Contracts.Routing;
using Switchboard.Gateway.Accounting;
using Switchboard.Gateway.Budgets;
using Switchboard.Gateway.Configuration;
using Switchboard.Gateway.Providers;

namespace Switchboard.Gateway.Keys;

/// <summary>Why a request is refused before any attempt: an OpenAI-shaped error.</summary>
internal sealed record Refusal(int Status, string Message, string Type, string Code, TimeSpan? RetryAfter = null, string? Param = null);

/// <summary>What admission decided for one request; settled once by the recorder.</summary>
internal sealed class Admission
{
    public static Admission Free { get; } = new();

    public Refusal? Refusal { get; init; }
    public GatewayKey? Key { get; init; }
    public CostEstimate? Estimate { get; init; }

    /// <summary>The cost cap of this request (task over route), when one applies.</summary>
    public decimal? MaxCostUsd { get; init; }
    public BudgetReservation? Reservation { get; init; }
}

/// <summary>
/// Step 3 of the hot path: a request's cost cap (<c>maxCostUsd</c> of its task or route), the key's requests and
/// tokens per minute, and its budget (by reservation of the estimated maximum cost). The estimate is computed
/// only when something needs it.
/// </summary>
internal sealed class KeyAdmission(KeyLimiter limiter, BudgetLedger ledger, TokenEstimator tokens)
{
    public async ValueTask<Admission> AdmitAsync(GatewayKey? key, ResolvedRoute route, ChatRequest request, TaskConfig? task, GatewayConfig config)
    {
        ArgumentNullException.ThrowIfNull(route);
        ArgumentNullException.ThrowIfNull(config);
        var maxCost = task?.MaxCostUsd ?? route.MaxCostUsd;
        var budget = key?.Config.BudgetUsd;
        var needsEstimate = maxCost is not null || budget is not null || route.Strategy == RouteStrategies.LowestCost;
        if (key is null && !needsEstimate)
        {
            return Admission.Free;
        }
        CostEstimate? estimate = needsEstimate ? CostEstimate.For(request, tokens, route.DefaultMaxTokens) : null;

        // The most this request can cost: its dearest target still allowed by the cost cap.
        var worst = 0m;
        if (estimate is { } e)
        {
            var any = false;
            var cheapest = decimal.MaxValue;
            foreach (var t in route.Targets)
            {
                var cost = e.CostOn(config.Prices, t.Model);
                cheapest = Math.Min(cheapest, cost);
                if (maxCost is { } cap && cost > cap)
                {
                    continue;
                }
                any = true;
                worst = Math.Max(worst, cost);
            }
            if (!any)
            {
                return new Admission
                {
                    Refusal = new(400, $"The estimated cost of this request (at least {cheapest:0.######} USD for {e.InputTokens} input and up to {e.MaxOutputTokens} output tokens) is over the cap of {maxCost} USD for every target of '{route.Name}'. Lower max_tokens or shorten the prompt.",
                        "invalid_request_error", "cost_limit_exceeded", Param: "max_tokens"),
                };
            }
        }

        if (key is not null && await limiter.TryAdmitAsync(key).ConfigureAwait(false) is { } refused)
        {
            return new Admission { Refusal = new(429, refused.Reason, "rate_limit_error", "rate_limit_exceeded", refused.RetryAfter) };
        }

        BudgetReservation? reservation = null;
        if (key is not null && budget is { } b)
        {
            var hold = route.RequestTimeout + TimeSpan.FromMinutes(1);
            (reservation, var spent) = await ledger.ReserveAsync(key.Name, b, worst, hold).ConfigureAwait(false);
            if (reservation is null)
            {
                var left = Math.Max(0, b - spent);
                var message = spent >= b
                    ? $"The gateway key '{key.Name}' has used its budget of {b} USD (spent {spent:0.######} USD)."
                    : $"The gateway key '{key.Name}' has {left:0.######} USD of its {b} USD budget left (less what requests in flight hold), and this request may cost up to {worst:0.######} USD. Lower max_tokens, or retry when requests in flight finish.";
                // Payment-required in spirit, 429 on the wire (CONTRACT.md), as OpenAI answers an exhausted quota.
                return new Admission { Refusal = new(429, message, "insufficient_quota", "budget_exceeded", spent >= b ? TimeSpan.FromHours(1) : TimeSpan.FromSeconds(1)) };
            }
        }
        return new Admission { Key = key, Estimate = estimate, MaxCostUsd = maxCost, Reservation = reservation };
    }

    /// <summary>Records a finished request: tokens against the key's TPM, actual cost against its budget.</summary>
    public async ValueTask SettleAsync(Admission admission, long tokensUsed, decimal costUsd)
    {
        ArgumentNullException.ThrowIfNull(admission);
        if (admission.Key is { } key)
        {
            await limiter.RecordTokensAsync(key, tokensUsed).ConfigureAwait(false);
        }
        if (admission.Reservation is { } reservation)
        {
            await ledger.SettleAsync(reservation, costUsd).ConfigureAwait(false);
        }
    }
}
