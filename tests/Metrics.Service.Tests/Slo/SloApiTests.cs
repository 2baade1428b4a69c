using System.Net.Http.Json;
using Switchboard.Metrics.Tests.Infrastructure;

namespace Switchboard.Metrics.Tests.Slo;

public sealed class SloFixture : MetricsServiceFixture
{
    private const string Routing = """
        {
          "providers": { "openai": { "type": "openai", "baseUrl": "${SIMULATOR_URL}/openai/v1" } },
          "routes": {
            "chat":  { "targets": [ { "provider": "openai", "model": "gpt-4o-2024-08-06" } ],
                       "slo": { "availability": 0.99, "p95Ms": 1000 } },
            "cheap": { "targets": [ { "provider": "openai", "model": "gpt-4o-mini-2024-07-18" } ],
                       "slo": { "availability": 0.9, "ttftP95Ms": 5000 } },
            "none":  { "targets": [ { "provider": "openai", "model": "gpt-4o-2024-08-06" } ] }
          }
        }
        """;

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Switchboard:RoutingJson"] = Routing,
        ["Metrics:SloInterval"] = "00:00:00.200",
    };

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        var now = DateTimeOffset.UtcNow;
        var events = new List<Switchboard.Contracts.Outcomes.OutcomeEvent>();
        // chat: 100 requests in the last 4 minutes, 20 of them failed (502): 20% errors against a 1% budget.
        for (var i = 0; i < 100; i++)
        {
            var failed = i % 5 == 0;
            events.Add(Outcomes.Attempt($"chat-{i}", 1, now.AddSeconds(-5 - i), route: "chat", latencyMs: 400 + i,
                winner: !failed, outcome: failed ? Contracts.Outcomes.AttemptOutcome.Failure : Contracts.Outcomes.AttemptOutcome.Success,
                status: failed ? 500 : 200, clientStatus: failed ? 502 : 200));
        }
        // cheap: 50 good requests two hours ago.
        for (var i = 0; i < 50; i++)
        {
            events.Add(Outcomes.Attempt($"cheap-{i}", 1, now.AddHours(-2).AddSeconds(i), route: "cheap", ttftMs: 300));
        }
        await PublishAsync(events);
        await WaitForRowsAsync(events.Count);
    }
}

public sealed class SloApiTests(SloFixture fixture) : IClassFixture<SloFixture>
{
    [Fact]
    public async Task Slo_reports_compliance_budget_and_burn_rates_for_routes_that_declare_one()
    {
        var rows = (await fixture.Client.GetFromJsonAsync<List<SloDto>>("/api/slo"))!;

        Assert.Equal(["chat", "cheap"], rows!.Select(r => r.Route).Order());
        var chat = rows!.Single(r => r.Route == "chat");
        Assert.Equal(0.99, chat.Objective.Availability);
        Assert.Equal(100, chat.Requests);
        Assert.Equal(0.8, chat.Availability!.Value, 9);
        Assert.False(chat.Compliant);
        Assert.Equal(-19, chat.ErrorBudgetRemaining!.Value, 6);
        Assert.Equal(20, chat.BurnRate1h!.Value, 6);
        Assert.Equal(20, chat.BurnRate6h!.Value, 6);
        Assert.True(chat.FastBurn);

        var cheap = rows!.Single(r => r.Route == "cheap");
        Assert.True(cheap.Compliant);
        Assert.Equal(1, cheap.ErrorBudgetRemaining);
        Assert.Equal(0, cheap.BurnRate1h);
        Assert.False(cheap.FastBurn);
    }

    [Fact]
    public async Task A_fast_burn_raises_an_alert()
    {
        await Wait.UntilAsync(async () =>
            (await fixture.Client.GetFromJsonAsync<List<AlertDto>>("/api/slo/alerts"))!.Any(a => a.Route == "chat" && a.ClearedAt is null),
            "the chat fast-burn alert");
        var alerts = (await fixture.Client.GetFromJsonAsync<List<AlertDto>>("/api/slo/alerts"))!;
        Assert.DoesNotContain(alerts!, a => a.Route == "cheap");
    }
}

public sealed record SloDto(string Route, ObjectiveDto Objective, long Requests, long Errors, double? Availability, double? P95Ms,
    double? TtftP95Ms, bool Compliant, double? ErrorBudgetRemaining, double? BurnRate1h, double? BurnRate6h, bool FastBurn);

public sealed record ObjectiveDto(double? Availability, double? P95Ms, double? TtftP95Ms);

public sealed record AlertDto(string Route, DateTimeOffset RaisedAt, double BurnRate1h, DateTimeOffset? ClearedAt);
