using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Switchboard.Contracts.Health;
using Switchboard.Contracts.Outcomes;
using Switchboard.Contracts.Redis;
using Switchboard.Metrics.Tests.Infrastructure;

namespace Switchboard.Metrics.Tests.Cascade;

/// <summary>
/// Two cascade routes ten minutes ago: "classify" is in the routing document with a price for its last tier;
/// "extract" is not, so the last tier's price is fitted from what its own attempts cost. Plus one plain request.
/// Router.Worker's health snapshot in Redis says the cheap deployment passed 41 of its last 50 canaries (score 0.82)
/// and has the expensive one with no quality measured yet.
/// </summary>
public sealed class CascadeFixture : MetricsServiceFixture
{
    private const string Routing = """
        {
          "providers": {
            "qwen": { "type": "openai", "baseUrl": "http://127.0.0.1:1/qwen/v1" },
            "openai": { "type": "openai", "baseUrl": "http://127.0.0.1:1/openai/v1" }
          },
          "routes": {
            "classify": { "strategy": "cascade", "minConfidence": 0.8, "scorer": "logprobs",
                          "targets": [ { "provider": "qwen", "model": "qwen2.5-7b-instruct" },
                                       { "provider": "openai", "model": "gpt-4o-2024-08-06" } ] }
          },
          "prices": { "gpt-4o-2024-08-06": { "inputPerMTok": 2.5, "outputPerMTok": 10, "cachedInputPerMTok": 1.25 } }
        }
        """;

    public DateTimeOffset T0 { get; } = DateTimeOffset.UtcNow.AddMinutes(-10);

    public DateTimeOffset SnapshotAt { get; } = DateTimeOffset.UtcNow.AddSeconds(-5);

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Switchboard:RoutingJson"] = Routing };

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        var events = new List<OutcomeEvent>();
        // classify: 6 answered by tier 0; 4 escalated (tier 0 not confident, tier 1 answers at 0.00065 = 100 in + 40 out at 2.5/10).
        for (var i = 0; i < 10; i++)
        {
            var t = T0.AddSeconds(i);
            var cheap = Outcomes.Attempt($"classify-{i}", 1, t, "qwen", "qwen2.5-7b-instruct", "classify", costUsd: 0.0001m,
                winner: i < 6, attempts: i < 6 ? 1 : 2) with { Tier = 0, Confidence = i < 6 ? 0.95 : 0.5, RequestsLeft = 0.4, TokensLeft = 0.9 };
            events.Add(cheap);
            if (i >= 6)
            {
                events.Add(Outcomes.Attempt($"classify-{i}", 2, t.AddMilliseconds(300), "openai", "gpt-4o-2024-08-06", "classify",
                    kind: AttemptKind.Escalation, costUsd: 0.00065m, attempts: 2) with { Tier = 1, RetryAfterMs = 1200 });
            }
        }
        // extract: 3 answered by tier 0; 2 escalated, whose tier-1 attempts cost 2.5 per M input and 10 per M output tokens.
        for (var i = 0; i < 5; i++)
        {
            var t = T0.AddSeconds(20 + i);
            events.Add(Outcomes.Attempt($"extract-{i}", 1, t, "qwen", "qwen2.5-7b-instruct", "extract", costUsd: 0.0001m,
                winner: i < 3, attempts: i < 3 ? 1 : 2) with { Tier = 0, Confidence = i < 3 ? 0.9 : 0.3 });
        }
        events.Add(Outcomes.Attempt("extract-3", 2, T0.AddSeconds(23.5), "openai", "gpt-4o-2024-08-06", "extract",
            kind: AttemptKind.Escalation, costUsd: 0.00065m, attempts: 2) with { Tier = 1 });
        events.Add(Outcomes.Attempt("extract-4", 2, T0.AddSeconds(24.5), "openai", "gpt-4o-2024-08-06", "extract",
            kind: AttemptKind.Escalation, costUsd: 0.00095m, attempts: 2) with { Tier = 1, InputTokens = 300, OutputTokens = 20 });
        events.Add(Outcomes.Attempt("plain-1", 1, T0.AddSeconds(30), route: "chat", costUsd: 0.01m));
        await PublishAsync(events);
        await WaitForRowsAsync(events.Count);
        await PublishHealthAsync(
            Health("qwen", "qwen2.5-7b-instruct") with { QualityScore = 0.82, CanaryRuns = 50, CanaryPassed = 41 },
            Health("openai", "gpt-4o-2024-08-06"));
    }

    /// <summary>Writes the health snapshot the way Router.Worker's publisher does.</summary>
    public Task PublishHealthAsync(params DeploymentHealth[] deployments) =>
        RedisDb.StringSetAsync(RedisKeys.HealthSnapshot, JsonSerializer.Serialize(
            new HealthSnapshot { Version = 7, Epoch = 1, UpdatedAt = SnapshotAt, Deployments = deployments }, ContractJson.Default.HealthSnapshot));

    public DeploymentHealth Health(string provider, string model) => new()
    {
        Provider = provider, Model = model, State = HealthState.Healthy, Circuit = CircuitState.Closed, UpdatedAt = SnapshotAt,
    };
}

public sealed class CascadeApiTests(CascadeFixture fixture) : IClassFixture<CascadeFixture>
{
    [Fact]
    public async Task Cascade_reports_the_share_of_each_tier_and_the_cost_saved_at_the_documented_price()
    {
        var rows = (await fixture.Client.GetFromJsonAsync<List<CascadeRowDto>>("/api/cascade"))!;

        Assert.Equal(["classify", "extract"], rows.Select(r => r.Route));
        var classify = rows[0];
        Assert.Equal(10, classify.Requests);
        Assert.Equal(10, classify.Answered);
        Assert.Equal(4, classify.Escalated);
        Assert.Equal(0.4, classify.EscalatedShare);
        Assert.Equal([(0, 6L, 0.6), (1, 4L, 0.4)], classify.Tiers.Select(t => (t.Tier, t.Answered, t.Share!.Value)));
        Assert.Equal(["qwen2.5-7b-instruct"], classify.Tiers[0].Models);
        Assert.Equal(0.95, classify.Tiers[0].AvgConfidence);
        Assert.Equal(10, classify.Tiers[0].Attempts);
        // Paid: 10 cheap attempts and 4 expensive ones.
        Assert.Equal(0.0036m, classify.CostUsd);
        // Always the last tier: the 6 cheap answers' tokens (600 in, 240 out) at 2.5/10 per M, plus the 4 real ones.
        Assert.Equal(0.0039m + 0.0026m, classify.LastTierCostUsd);
        Assert.Equal(0.0029m, classify.CostSavedUsd);
        Assert.Equal(Math.Round(0.0029 / 0.0065, 4), classify.SavedShare);
        Assert.Equal(new LastTierDto(1, "gpt-4o-2024-08-06", 2.5m, 10m, "routing-document"), classify.LastTier);
    }

    [Fact]
    public async Task Each_tier_carries_the_canary_quality_router_worker_published_and_null_where_none_was_measured()
    {
        var classify = (await fixture.Client.GetFromJsonAsync<List<CascadeRowDto>>("/api/cascade?route=classify"))!.Single();

        var cheap = classify.Tiers[0];
        Assert.Equal([new TierDeploymentDto("qwen", "qwen2.5-7b-instruct", 10, 0.82, 50, 41)], cheap.Deployments);
        Assert.Equal(new TierQualityDto(0.82, 50, 41, fixture.SnapshotAt), cheap.Quality! with { At = cheap.Quality!.At.ToUniversalTime() });
        // In the snapshot, but neither canaries nor sampled answers judged yet: not measured, never 0.
        var expensive = classify.Tiers[1];
        Assert.Equal([new TierDeploymentDto("openai", "gpt-4o-2024-08-06", 4, null, 0, 0)], expensive.Deployments);
        Assert.Null(expensive.Quality);
        using var raw = JsonDocument.Parse(await fixture.Client.GetStringAsync("/api/cascade?route=classify"));
        var tier1 = raw.RootElement[0].GetProperty("tiers")[1];
        Assert.Equal(JsonValueKind.Null, tier1.GetProperty("quality").ValueKind);
        Assert.Equal(JsonValueKind.Null, tier1.GetProperty("deployments")[0].GetProperty("qualityScore").ValueKind);

        // "extract" is not in the document: its tiers' deployments come from the request log alone.
        var extract = (await fixture.Client.GetFromJsonAsync<List<CascadeRowDto>>("/api/cascade?route=extract"))!.Single();
        Assert.Equal(("qwen", 0.82), (extract.Tiers[0].Deployments.Single().Provider, extract.Tiers[0].Quality!.Score!.Value));
    }

    [Fact]
    public async Task Without_a_health_snapshot_no_tier_has_quality()
    {
        var saved = await fixture.RedisDb.StringGetAsync(RedisKeys.HealthSnapshot);
        await fixture.RedisDb.KeyDeleteAsync(RedisKeys.HealthSnapshot);
        try
        {
            var classify = (await fixture.Client.GetFromJsonAsync<List<CascadeRowDto>>("/api/cascade?route=classify"))!.Single();
            Assert.All(classify.Tiers, t => Assert.Null(t.Quality));
            Assert.All(classify.Tiers.SelectMany(t => t.Deployments), d => Assert.Equal((null, null, null), (d.QualityScore, d.CanaryRuns, d.CanaryPassed)));
            Assert.Equal(["qwen", "openai"], classify.Tiers.Select(t => t.Deployments.Single().Provider));
        }
        finally
        {
            await fixture.RedisDb.StringSetAsync(RedisKeys.HealthSnapshot, saved);
        }
    }

    [Fact]
    public void A_document_tier_never_asked_in_the_window_is_listed_with_its_quality()
    {
        var document = System.Text.Json.JsonSerializer.Deserialize("""
            { "providers": {}, "routes": { "sort": { "strategy": "cascade", "minConfidence": 0.8,
              "targets": [ { "provider": "qwen", "model": "small" }, { "provider": "openai", "model": "large" } ] } } }
            """, Contracts.Routing.RoutingDocumentJson.Default.RoutingDocument);
        var facts = new List<Metrics.Cascade.CascadeReport.TierFacts>
        {
            new(0, "qwen", "small", 3, 3, 0.0003m, 300, 0, 30, 0.0003m, 0.9, default),
        };
        var quality = new Metrics.Cascade.QualityView(fixture.SnapshotAt, new Dictionary<(string, string), DeploymentHealth>
        {
            [("openai", "large")] = fixture.Health("openai", "large") with { QualityScore = 0.97, CanaryRuns = 30, CanaryPassed = 29 },
        });

        var row = Metrics.Cascade.CascadeReport.Summarise("sort", facts, (3, 0, 0), document, quality);

        Assert.Equal([(0, 3L, 1.0), (1, 0L, 0.0)], row.Tiers.Select(t => (t.Tier, t.Answered, t.Share!.Value)));
        Assert.Null(row.Tiers[0].Quality);
        Assert.Equal(new Metrics.Cascade.TierQuality(0.97, 30, 29, fixture.SnapshotAt), row.Tiers[1].Quality);
        Assert.Equal(["large"], row.Tiers[1].Models);
    }

    [Fact]
    public async Task Without_a_documented_price_the_last_tier_price_is_fitted_from_its_own_attempts()
    {
        var extract = (await fixture.Client.GetFromJsonAsync<List<CascadeRowDto>>("/api/cascade?route=extract"))!.Single();

        Assert.Equal(new LastTierDto(1, "gpt-4o-2024-08-06", 2.5m, 10m, "observed"), extract.LastTier);
        Assert.Equal([(0, 3L), (1, 2L)], extract.Tiers.Select(t => (t.Tier, t.Answered)));
        Assert.Equal(0.0021m, extract.CostUsd);
        Assert.Equal(0.00355m, extract.LastTierCostUsd);
        Assert.Equal(0.00145m, extract.CostSavedUsd);
    }

    [Fact]
    public async Task A_window_without_cascade_traffic_is_empty_and_a_bad_window_is_400()
    {
        var from = Uri.EscapeDataString(fixture.T0.AddHours(-3).ToString("O"));
        var to = Uri.EscapeDataString(fixture.T0.AddHours(-2).ToString("O"));
        Assert.Empty((await fixture.Client.GetFromJsonAsync<List<CascadeRowDto>>($"/api/cascade?from={from}&to={to}"))!);

        using var response = await fixture.Client.GetAsync("/api/cascade?from=yesterday");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("\"param\":\"from\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tier_confidence_and_the_rate_limit_headroom_fields_are_accepted_and_the_tier_is_stored()
    {
        Assert.Equal(14, await fixture.ScalarAsync("SELECT count(*) FROM request_log WHERE tier IS NOT NULL AND route = 'classify'"));
        Assert.Equal(4, await fixture.ScalarAsync("SELECT count(*) FROM request_log WHERE kind = 'Escalation' AND route = 'classify'"));
        Assert.Equal(0, await fixture.ScalarAsync("SELECT count(*) FROM request_log WHERE route = 'classify' AND tier = 0 AND confidence IS NULL"));
        Assert.Equal(0, await fixture.RedisDb.StreamLengthAsync(Contracts.Redis.RedisKeys.OutcomesDeadLetterStream));
    }
}

public sealed record CascadeRowDto(string Route, long Requests, long Answered, long Errors, long Escalated, double? EscalatedShare,
    List<CascadeTierDto> Tiers, decimal CostUsd, decimal? LastTierCostUsd, decimal? CostSavedUsd, double? SavedShare, LastTierDto? LastTier);

public sealed record CascadeTierDto(int Tier, List<string> Models, long Answered, double? Share, long Attempts, decimal CostUsd, double? AvgConfidence,
    List<TierDeploymentDto> Deployments, TierQualityDto? Quality);

public sealed record TierDeploymentDto(string Provider, string Model, long Attempts, double? QualityScore, int? CanaryRuns, int? CanaryPassed);

public sealed record TierQualityDto(double? Score, int CanaryRuns, int CanaryPassed, DateTimeOffset At);

public sealed record LastTierDto(int Tier, string? Model, decimal InputPerMTok, decimal OutputPerMTok, string Source);
