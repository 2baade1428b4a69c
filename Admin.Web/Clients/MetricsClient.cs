using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using Switchboard.Contracts.Health;

namespace Switchboard.Admin.Clients;

/// <summary>
/// Metrics.Service's query API (CONTRACT.md section 6 and its extensions), reached through service discovery
/// as "http://metrics" with the admin key. Every DTO it returns is in this file, so aligning with the service
/// is one place.
/// </summary>
public sealed class MetricsClient(HttpClient http)
{
    /// <summary>SLA per provider, model, route or key.</summary>
    public Task<IReadOnlyList<SlaRow>> GetSlaAsync(TimeWindow window, string groupBy, CancellationToken ct) =>
        GetListAsync<SlaRow>($"/api/sla?{window.ToQuery()}&groupBy={groupBy}", ct);

    /// <summary>Per-route SLO compliance, error budget and burn rates.</summary>
    public Task<IReadOnlyList<SloRow>> GetSloAsync(CancellationToken ct) =>
        GetListAsync<SloRow>("/api/slo", ct);

    /// <summary>Fast-burn alerts, newest first (active ones have no <see cref="SloAlert.ClearedAt"/>).</summary>
    public Task<IReadOnlyList<SloAlert>> GetSloAlertsAsync(CancellationToken ct) =>
        GetListAsync<SloAlert>("/api/slo/alerts", ct);

    /// <summary>Cost per group (provider, model, route, key, task or day), with hedging and retry cost apart.</summary>
    public Task<IReadOnlyList<CostRow>> GetCostAsync(TimeWindow window, string groupBy, CancellationToken ct) =>
        GetListAsync<CostRow>($"/api/cost?{window.ToQuery()}&groupBy={groupBy}", ct);

    /// <summary>Time series per group for the charts.</summary>
    public Task<IReadOnlyList<TimeSeries>> GetTimeSeriesAsync(TimeWindow window, string groupBy, CancellationToken ct) =>
        GetListAsync<TimeSeries>($"/api/timeseries?{window.ToQuery()}&groupBy={groupBy}&step={window.Step}", ct);

    /// <summary>
    /// Cascade routes over the window: the share each tier answered, escalations, cost and cost saved against always
    /// asking the last tier. Empty when the service predates the endpoint (404), so the overview still loads.
    /// </summary>
    public async Task<IReadOnlyList<CascadeRow>> GetCascadeAsync(TimeWindow window, CancellationToken ct)
    {
        using var response = await http.GetAsync($"/api/cascade?{window.ToQuery()}", HttpCompletionOption.ResponseHeadersRead, ct);
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return [];
        }
        await ServiceErrors.EnsureSuccessAsync(response, "Metrics.Service", ct);
        return await response.Content.ReadFromJsonAsync<IReadOnlyList<CascadeRow>>(AdminJson.Options, ct) ?? [];
    }

    /// <summary>The request log, newest first.</summary>
    public Task<IReadOnlyList<RequestRow>> GetRequestsAsync(RequestFilter filter, CancellationToken ct) =>
        GetListAsync<RequestRow>($"/api/requests?{filter.ToQuery()}", ct);

    /// <summary>Every attempt of one request (hedges, retries, fallbacks), in start order; empty when the log has none.</summary>
    public async Task<IReadOnlyList<RequestRow>> GetAttemptsAsync(string requestId, CancellationToken ct)
    {
        using var response = await http.GetAsync($"/api/requests/{Uri.EscapeDataString(requestId)}", ct);
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return [];
        }
        await ServiceErrors.EnsureSuccessAsync(response, "Metrics.Service", ct);
        return await response.Content.ReadFromJsonAsync<IReadOnlyList<RequestRow>>(AdminJson.Options, ct) ?? [];
    }

    private async Task<IReadOnlyList<T>> GetListAsync<T>(string uri, CancellationToken ct)
    {
        using var response = await http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, ct);
        await ServiceErrors.EnsureSuccessAsync(response, "Metrics.Service", ct);
        return await response.Content.ReadFromJsonAsync<IReadOnlyList<T>>(AdminJson.Options, ct) ?? [];
    }
}

/// <summary>
/// Filters of the request log; empty fields are left out of the query. <see cref="Status"/> is the attempt's upstream
/// status: an exact code ("503") or a class ("5xx"), as Metrics.Service takes it.
/// </summary>
public sealed record RequestFilter(TimeWindow Window, string? Route = null, string? Provider = null, string? Status = null, string? Key = null, int Limit = 200)
{
    /// <summary>
    /// True when <paramref name="status"/> is empty, a status code (100-599) or a class (1xx-5xx, any case); the
    /// normalised form goes to <paramref name="normalised"/> ("5XX" becomes "5xx", " 503 " becomes "503", empty becomes null).
    /// </summary>
    public static bool TryStatus(string? status, out string? normalised)
    {
        normalised = null;
        var s = status?.Trim();
        if (string.IsNullOrEmpty(s))
        {
            return true;
        }
        if (s.Length == 3 && s[0] is >= '1' and <= '5' && s.EndsWith("xx", StringComparison.OrdinalIgnoreCase))
        {
            normalised = $"{s[0]}xx";
            return true;
        }
        if (s.Length == 3 && int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var code) && code is >= 100 and <= 599)
        {
            normalised = s;
            return true;
        }
        return false;
    }

    /// <summary>The query string (without '?').</summary>
    public string ToQuery()
    {
        var query = new StringBuilder(Window.ToQuery());
        Append(query, "route", Route);
        Append(query, "provider", Provider);
        Append(query, "status", Status);
        Append(query, "key", Key);
        Append(query, "limit", Limit.ToString(CultureInfo.InvariantCulture));
        return query.ToString();
    }

    private static void Append(StringBuilder query, string name, string? value)
    {
        if (!string.IsNullOrWhiteSpace(value))
        {
            query.Append('&').Append(name).Append('=').Append(Uri.EscapeDataString(value.Trim()));
        }
    }
}

/// <summary>One row of <c>GET /api/sla</c>.</summary>
public sealed record SlaRow
{
    public string? Group { get; init; }
    public long Requests { get; init; }
    public long Errors { get; init; }
    /// <summary>0..1.</summary>
    public double Availability { get; init; }
    public Percentiles LatencyMs { get; init; } = Percentiles.Empty;
    public Percentiles TtftMs { get; init; } = Percentiles.Empty;
    public decimal CostUsd { get; init; }
    /// <summary>Attempts (retries and hedges included) behind <see cref="Requests"/>.</summary>
    public long Attempts { get; init; }
    public long AttemptFailures { get; init; }
}

/// <summary>One row of <c>GET /api/slo</c>: a route against its objective.</summary>
public sealed record SloRow
{
    public string Route { get; init; } = "";
    public SloObjective? Objective { get; init; }
    /// <summary>The SLO window the figures cover.</summary>
    public DateTimeOffset? From { get; init; }
    public DateTimeOffset? To { get; init; }
    public long Requests { get; init; }
    public long Errors { get; init; }
    public double? Availability { get; init; }
    public double? P95Ms { get; init; }
    public double? TtftP95Ms { get; init; }
    public bool Compliant { get; init; }
    /// <summary>Share of the error budget left (0..1, negative when overspent).</summary>
    public double? ErrorBudgetRemaining { get; init; }
    public double? BurnRate1h { get; init; }
    public double? BurnRate6h { get; init; }
    /// <summary>True while the route burns its budget fast (1 h burn rate over the threshold, confirmed by 5 min).</summary>
    public bool FastBurn { get; init; }
}

/// <summary>One row of <c>GET /api/slo/alerts</c>: a fast burn, active until <see cref="ClearedAt"/>.</summary>
public sealed record SloAlert
{
    public string Route { get; init; } = "";
    public DateTimeOffset RaisedAt { get; init; }
    public double BurnRate1h { get; init; }
    public double? BurnRate6h { get; init; }
    public double? ErrorBudgetRemaining { get; init; }
    public DateTimeOffset? ClearedAt { get; init; }
}

/// <summary>A route's objective.</summary>
public sealed record SloObjective
{
    public double? Availability { get; init; }
    public double? P95Ms { get; init; }
    public double? TtftP95Ms { get; init; }
}

/// <summary>One row of <c>GET /api/cost</c>.</summary>
public sealed record CostRow
{
    public string? Group { get; init; }
    public decimal CostUsd { get; init; }
    /// <summary>Cost of the attempts whose answer the client received.</summary>
    public decimal UsefulCostUsd { get; init; }
    public decimal HedgeCostUsd { get; init; }
    public decimal RetryCostUsd { get; init; }
    public long Requests { get; init; }
    public long Attempts { get; init; }
    public long InputTokens { get; init; }
    public long OutputTokens { get; init; }
    public long CachedInputTokens { get; init; }
    public long ReasoningTokens { get; init; }
}

/// <summary>One route of <c>GET /api/cascade</c>.</summary>
public sealed record CascadeRow
{
    public string Route { get; init; } = "";
    public long Requests { get; init; }
    public long Answered { get; init; }
    public long Errors { get; init; }
    /// <summary>Requests that went past the first tier.</summary>
    public long Escalated { get; init; }
    /// <summary>0..1.</summary>
    public double? EscalatedShare { get; init; }
    public IReadOnlyList<CascadeTier> Tiers { get; init; } = [];
    /// <summary>What the cascade cost: every tier asked, retries, hedges and scorer calls.</summary>
    public decimal CostUsd { get; init; }
    /// <summary>What always asking the last tier would have cost (null when no price is known for it).</summary>
    public decimal? LastTierCostUsd { get; init; }
    public decimal? CostSavedUsd { get; init; }
    /// <summary>0..1 of <see cref="LastTierCostUsd"/>.</summary>
    public double? SavedShare { get; init; }
    public CascadeLastTierPrice? LastTier { get; init; }
}

/// <summary>One tier of a cascade route.</summary>
public sealed record CascadeTier
{
    /// <summary>0-based, cheapest first.</summary>
    public int Tier { get; init; }
    public IReadOnlyList<string> Models { get; init; } = [];
    public long Answered { get; init; }
    /// <summary>0..1 of the route's answered requests.</summary>
    public double? Share { get; init; }
    public long Attempts { get; init; }
    public decimal CostUsd { get; init; }
    /// <summary>0..1.</summary>
    public double? AvgConfidence { get; init; }
    /// <summary>The tier's deployments: the routing document's target first, then any other its attempts went to.</summary>
    public IReadOnlyList<CascadeTierDeployment> Deployments { get; init; } = [];
    /// <summary>The tier's canary quality now; null when Router.Worker has measured none of its deployments.</summary>
    public CascadeTierQuality? Quality { get; init; }
}

/// <summary>One deployment of a cascade tier and its quality from Router.Worker's health snapshot (null: not measured).</summary>
public sealed record CascadeTierDeployment
{
    public string Provider { get; init; } = "";
    public string Model { get; init; } = "";
    /// <summary>Attempts it served at this tier in the window.</summary>
    public long Attempts { get; init; }
    /// <summary>0..1.</summary>
    public double? QualityScore { get; init; }
    public int? CanaryRuns { get; init; }
    public int? CanaryPassed { get; init; }
}

/// <summary>
/// A cascade tier's quality now: its deployments' scores (0..1) averaged by attempts, and the canaries behind them
/// (Router.Worker keeps each deployment's last 50 runs).
/// </summary>
public sealed record CascadeTierQuality
{
    public double? Score { get; init; }
    public int CanaryRuns { get; init; }
    public int CanaryPassed { get; init; }
    /// <summary>When Router.Worker computed the health snapshot the figures come from.</summary>
    public DateTimeOffset At { get; init; }
}

/// <summary>The price the cost-saved estimate used for the last tier, USD per million tokens, and where it came from.</summary>
public sealed record CascadeLastTierPrice
{
    public int Tier { get; init; }
    public string? Model { get; init; }
    public decimal InputPerMTok { get; init; }
    public decimal OutputPerMTok { get; init; }
    /// <summary>routing-document, observed or observed-blended.</summary>
    public string? Source { get; init; }
}

/// <summary>One series of <c>GET /api/timeseries</c>.</summary>
public sealed record TimeSeries
{
    public string? Group { get; init; }
    public IReadOnlyList<TimePoint> Points { get; init; } = [];
}

/// <summary>One step of a series.</summary>
public sealed record TimePoint
{
    public DateTimeOffset T { get; init; }
    public long Requests { get; init; }
    public long Errors { get; init; }
    public double? P50 { get; init; }
    public double? P95 { get; init; }
    public double? P99 { get; init; }
    public double? TtftP95 { get; init; }
    public decimal CostUsd { get; init; }
}

/// <summary>One attempt in the request log.</summary>
public sealed record RequestRow
{
    public string RequestId { get; init; } = "";
    public int Attempt { get; init; }
    public DateTimeOffset StartedAt { get; init; }
    /// <summary>Primary, Retry, Hedge, Probe, Canary or Escalation.</summary>
    public string? Kind { get; init; }
    /// <summary>True when the request ran more than one attempt at once.</summary>
    public bool Hedged { get; init; }
    public string? KeyName { get; init; }
    public string? Route { get; init; }
    public string? Task { get; init; }
    public string? Provider { get; init; }
    public string? Model { get; init; }
    public string? ModelReported { get; init; }
    public bool Drift { get; init; }
    public bool Stream { get; init; }
    /// <summary>Success, Failure or Cancelled.</summary>
    public string? Outcome { get; init; }
    public bool Winner { get; init; }
    public int Status { get; init; }
    public string? Error { get; init; }
    public string? ErrorMessage { get; init; }
    public double LatencyMs { get; init; }
    public double? TtftMs { get; init; }
    public int InputTokens { get; init; }
    public int OutputTokens { get; init; }
    public int CachedInputTokens { get; init; }
    public int ReasoningTokens { get; init; }
    public decimal CostUsd { get; init; }
    /// <summary>The status, latency and TTFT the client saw for the whole request.</summary>
    public int ClientStatus { get; init; }
    public double ClientLatencyMs { get; init; }
    public double? ClientTtftMs { get; init; }
    /// <summary>Attempts the whole request made.</summary>
    public int Attempts { get; init; }
}
