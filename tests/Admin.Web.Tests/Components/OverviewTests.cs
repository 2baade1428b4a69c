using Bunit;
using Switchboard.Admin.Components.Pages.Overview;

namespace Switchboard.Admin.Tests.Components;

public sealed class OverviewTests : AdminComponentTest
{
    private const string ProviderSla = """
        [{"group":"openai","requests":2000,"errors":10,"availability":0.995,
          "latencyMs":{"p50":420,"p95":1250,"p99":2100},"ttftMs":{"p50":180,"p95":640,"p99":910},"costUsd":1.2345}]
        """;

    private void AnswerEverything(string providerSla = ProviderSla)
    {
        Http.On("GET /api/sla", "[]")
            .On("GET /api/sla?", r => (System.Net.HttpStatusCode.OK, r.RequestUri!.Query.Contains("groupBy=provider", StringComparison.Ordinal) ? providerSla : "[]"))
            .On("GET /api/slo/alerts", "[]")
            .On("GET /api/slo", """[{"route":"chat","objective":{"availability":0.999,"ttftP95Ms":2500},"availability":0.998,"compliant":false,"errorBudgetRemaining":-0.5,"burnRate1h":3.2,"burnRate6h":1.1}]""")
            .On("GET /api/cost", """[{"group":"openai","costUsd":0.42,"usefulCostUsd":0.4,"hedgeCostUsd":0.01,"retryCostUsd":0.01,"requests":10}]""")
            .On("GET /api/timeseries", """[{"group":"openai","points":[{"t":"2026-03-14T11:59:00Z","requests":60,"errors":1,"p50":400,"p95":1200,"p99":2000,"ttftP95":600,"costUsd":0.01}]}]""");
    }

    [Fact]
    public void Each_provider_shows_availability_percentiles_and_cost_with_units()
    {
        AnswerEverything();

        var cut = Render<Overview>();

        cut.WaitForAssertion(() =>
        {
            var row = cut.Find("table[aria-label='SLA per provider'] tbody tr").TextContent;
            Assert.Contains("99.50 %", row, StringComparison.Ordinal);
            Assert.Contains("420 ms / 1250 ms / 2100 ms", row, StringComparison.Ordinal);
            Assert.Contains("180 ms / 640 ms / 910 ms", row, StringComparison.Ordinal);
            Assert.Contains("2,000", row, StringComparison.Ordinal);
            Assert.Contains("$0.4200", row, StringComparison.Ordinal);
        });
    }

    [Fact]
    public void A_route_shows_its_objective_budget_and_burn_rates()
    {
        AnswerEverything();

        var cut = Render<Overview>();

        cut.WaitForAssertion(() =>
        {
            var row = cut.Find("table[aria-label='SLO per route'] tbody tr").TextContent;
            Assert.Contains("chat", row, StringComparison.Ordinal);
            Assert.Contains("99.80 % / 99.90 %", row, StringComparison.Ordinal);
            Assert.Contains("missed", row, StringComparison.Ordinal);
            Assert.Contains("-50.0 %", row, StringComparison.Ordinal);
            Assert.Contains("3.2× / 1.1×", row, StringComparison.Ordinal);
        });
    }

    [Fact]
    public void With_no_traffic_it_says_where_to_send_a_request()
    {
        Http.On("GET /api/", "[]");

        var cut = Render<Overview>();

        cut.WaitForAssertion(() =>
        {
            Assert.Contains("No traffic yet", cut.Markup, StringComparison.Ordinal);
            Assert.Contains("http://gateway.test:8080/v1/chat/completions", cut.Markup, StringComparison.Ordinal);
        });
    }

    [Fact]
    public void It_refreshes_every_five_seconds_of_the_injected_clock()
    {
        AnswerEverything();
        var cut = Render<Overview>();
        cut.WaitForAssertion(() => Assert.Equal(1, Http.Count("GET /api/timeseries")));

        Http.On("GET /api/sla?", r => (System.Net.HttpStatusCode.OK, ProviderSla.Replace("0.995", "0.9", StringComparison.Ordinal)));
        Time.Advance(TimeSpan.FromSeconds(4));
        Assert.Equal(1, Http.Count("GET /api/timeseries"));
        Time.Advance(TimeSpan.FromSeconds(1));

        cut.WaitForAssertion(() =>
        {
            Assert.Equal(2, Http.Count("GET /api/timeseries"));
            Assert.Contains("90.0 %", cut.Find("table[aria-label='SLA per provider'] tbody tr").TextContent, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task The_refresh_stops_when_the_page_closes()
    {
        AnswerEverything();
        var cut = Render<Overview>();
        cut.WaitForAssertion(() => Assert.Equal(1, Http.Count("GET /api/timeseries")));

        await DisposeComponentsAsync();
        Time.Advance(TimeSpan.FromSeconds(30));

        Assert.Equal(1, Http.Count("GET /api/timeseries"));
    }

    [Fact]
    public void Picking_a_window_queries_that_window_with_a_matching_step()
    {
        AnswerEverything();
        var cut = Render<Overview>();
        cut.WaitForAssertion(() => Assert.Equal(1, Http.Count("GET /api/timeseries")));

        cut.FindAll("button").Single(b => b.TextContent.Trim() == "7 days").Click();

        cut.WaitForAssertion(() =>
        {
            Assert.Equal(2, Http.Count("GET /api/timeseries"));
            Assert.Equal("2026-03-07T12:00:00.0000000Z", LastQuery("GET /api/timeseries", "from"));
            Assert.Equal("2026-03-14T12:00:00.0000000Z", LastQuery("GET /api/timeseries", "to"));
            Assert.Equal("1h", LastQuery("GET /api/timeseries", "step"));
        });
    }

    [Fact]
    public void A_service_that_does_not_answer_is_named_on_the_page()
    {
        Http.On("GET /api/", "oops", System.Net.HttpStatusCode.InternalServerError);

        var cut = Render<Overview>();

        cut.WaitForAssertion(() => Assert.Contains("Metrics.Service did not answer", cut.Find("[role=alert]").TextContent, StringComparison.Ordinal));
    }

    [Fact]
    public void Routes_with_traffic_or_an_objective_are_joined_by_name()
    {
        var rows = Overview.JoinRoutes(
            [new Switchboard.Admin.Clients.SlaRow { Group = "chat", Requests = 5 }, new Switchboard.Admin.Clients.SlaRow { Group = "cheap", Requests = 1 }],
            [new Switchboard.Admin.Clients.SloRow { Route = "chat" }, new Switchboard.Admin.Clients.SloRow { Route = "batch" }]);

        Assert.Equal(["batch", "chat", "cheap"], rows.Select(r => r.Route));
        Assert.Null(rows[0].Sla);
        Assert.Equal(5, rows[1].Sla!.Requests);
        Assert.Null(rows[2].Slo);
    }
}
