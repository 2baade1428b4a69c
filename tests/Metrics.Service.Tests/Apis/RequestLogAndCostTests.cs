using System.Net;
using System.Net.Http.Json;
using Switchboard.Contracts.Outcomes;
using Switchboard.Metrics.Tests.Infrastructure;

namespace Switchboard.Metrics.Tests.Apis;

/// <summary>One hedged request, one retried request and one plain request, for the request log and the cost split.</summary>
public sealed class KnownRequestsFixture : MetricsServiceFixture
{
    public DateTimeOffset T0 { get; } = DateTimeOffset.UtcNow.AddMinutes(-10);

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await PublishAsync(
        [
            Outcomes.Attempt("hedged-1", 1, T0, "openai", outcome: AttemptOutcome.Cancelled, winner: false, costUsd: 0.002m,
                clientLatencyMs: 900, attempts: 2, hedged: true, task: "summarise"),
            Outcomes.Attempt("hedged-1", 2, T0.AddSeconds(2), "anthropic", kind: AttemptKind.Hedge, costUsd: 0.005m,
                clientLatencyMs: 900, attempts: 2, hedged: true, task: "summarise"),
            Outcomes.Attempt("retried-1", 1, T0.AddSeconds(5), "gemini", outcome: AttemptOutcome.Failure, winner: false, status: 503,
                error: ErrorClass.ServerError, costUsd: 0.001m, clientLatencyMs: 700, attempts: 2),
            Outcomes.Attempt("retried-1", 2, T0.AddSeconds(6), "openai", kind: AttemptKind.Retry, costUsd: 0.003m,
                clientLatencyMs: 700, attempts: 2),
            Outcomes.Attempt("plain-1", 1, T0.AddSeconds(9), "openai", costUsd: 0.004m, key: null),
        ]);
        await WaitForRowsAsync(5);
    }
}

public sealed class RequestLogAndCostTests(KnownRequestsFixture fixture) : IClassFixture<KnownRequestsFixture>
{
    [Fact]
    public async Task Request_detail_returns_every_attempt_in_start_order()
    {
        var attempts = (await fixture.Client.GetFromJsonAsync<List<RequestRowDto>>("/api/requests/hedged-1"))!;

        Assert.Equal([1, 2], attempts!.Select(a => a.Attempt));
        Assert.Equal(["Cancelled", "Success"], attempts!.Select(a => a.Outcome));
        Assert.Equal(["openai", "anthropic"], attempts.Select(a => a.Provider));
        Assert.All(attempts, a => Assert.True(a.Hedged));
        Assert.Equal("Hedge", attempts[1].Kind);
    }

    [Fact]
    public async Task Unknown_request_is_404()
    {
        using var response = await fixture.Client.GetAsync("/api/requests/nope");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Request_log_is_newest_first_and_filters_by_provider_and_status()
    {
        var all = (await fixture.Client.GetFromJsonAsync<List<RequestRowDto>>("/api/requests"))!;
        Assert.Equal("plain-1", all![0].RequestId);
        Assert.Equal(all.OrderByDescending(r => r.StartedAt).Select(r => r.StartedAt), all.Select(r => r.StartedAt));

        var openai = (await fixture.Client.GetFromJsonAsync<List<RequestRowDto>>("/api/requests?provider=openai&limit=2"))!;
        Assert.Equal(2, openai!.Count);
        Assert.All(openai, r => Assert.Equal("openai", r.Provider));

        var failed = (await fixture.Client.GetFromJsonAsync<List<RequestRowDto>>("/api/requests?status=5xx"))!;
        Assert.Equal("retried-1", Assert.Single(failed!).RequestId);
    }

    [Fact]
    public async Task Cost_shows_hedge_and_retry_cost_apart_from_useful_cost()
    {
        var rows = (await fixture.Client.GetFromJsonAsync<List<CostRowDto>>("/api/cost?groupBy=provider"))!;
        var byProvider = rows!.ToDictionary(r => r.Group);

        Assert.Equal(0.002m, byProvider["openai"].HedgeCostUsd);
        Assert.Equal(0.007m, byProvider["openai"].UsefulCostUsd);
        Assert.Equal(0.009m, byProvider["openai"].CostUsd);
        Assert.Equal(0.001m, byProvider["gemini"].RetryCostUsd);
        Assert.Equal(0m, byProvider["gemini"].UsefulCostUsd);
        Assert.Equal(0.005m, byProvider["anthropic"].UsefulCostUsd);
        // Requests are counted once, on the attempt that answered.
        Assert.Equal(3, rows!.Sum(r => r.Requests));
    }

    [Fact]
    public async Task Cost_by_task_and_by_key_name_the_empty_ones_none()
    {
        var byTask = (await fixture.Client.GetFromJsonAsync<List<CostRowDto>>("/api/cost?groupBy=task"))!;
        Assert.Equal(0.007m, byTask!.Single(r => r.Group == "summarise").CostUsd);
        Assert.Equal(0.008m, byTask!.Single(r => r.Group == "(none)").CostUsd);

        var byKey = (await fixture.Client.GetFromJsonAsync<List<CostRowDto>>("/api/cost?groupBy=key"))!;
        Assert.Equal(0.004m, byKey!.Single(r => r.Group == "(none)").CostUsd);

        var byDay = (await fixture.Client.GetFromJsonAsync<List<CostRowDto>>("/api/cost?groupBy=day"))!;
        Assert.Equal(0.015m, byDay!.Sum(r => r.CostUsd));
    }

    [Fact]
    public async Task Timeseries_has_one_point_per_minute_with_the_requests_of_that_minute()
    {
        var from = Uri.EscapeDataString(fixture.T0.AddMinutes(-2).ToString("O"));
        var to = Uri.EscapeDataString(fixture.T0.AddMinutes(3).ToString("O"));
        var series = (await fixture.Client.GetFromJsonAsync<List<SeriesDto>>($"/api/timeseries?from={from}&to={to}&groupBy=provider&step=1m"))!;

        Assert.Equal(["anthropic", "gemini", "openai"], series!.Select(s => s.Group));
        Assert.All(series!, s => Assert.True(s.Points.Count is 5 or 6));
        Assert.Equal(2, series.Single(s => s.Group == "openai").Points.Sum(p => p.Requests));
        Assert.All(series.SelectMany(s => s.Points).Where(p => p.Requests > 0), p => Assert.NotNull(p.P95));
    }
}

public sealed record RequestRowDto(string RequestId, int Attempt, DateTimeOffset StartedAt, string Kind, bool Hedged, string Provider,
    string Outcome, bool Winner, int Status, decimal CostUsd);

public sealed record CostRowDto(string Group, decimal CostUsd, decimal UsefulCostUsd, decimal HedgeCostUsd, decimal RetryCostUsd, long Requests);

public sealed record SeriesDto(string Group, List<PointDto> Points);

public sealed record PointDto(DateTimeOffset T, long Requests, long Errors, double? P50, double? P95, double? P99, double? TtftP95, decimal CostUsd);
