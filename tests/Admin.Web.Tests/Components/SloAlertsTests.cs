using Bunit;
using Switchboard.Admin.Components.Pages.Overview;

namespace Switchboard.Admin.Tests.Components;

/// <summary>The overview's open SLO alerts, from Metrics.Service's <c>GET /api/slo/alerts</c> (its JSON shape).</summary>
public sealed class SloAlertsTests : AdminComponentTest
{
    private const string Alerts = """
        [{"route":"chat","raisedAt":"2026-03-14T11:53:00Z","burnRate1h":16.5,"burnRate6h":7.2,"errorBudgetRemaining":-0.25,"clearedAt":null},
         {"route":"batch","raisedAt":"2026-03-14T11:58:00Z","burnRate1h":20,"burnRate6h":null,"errorBudgetRemaining":0.5,"clearedAt":null},
         {"route":"cheap","raisedAt":"2026-03-14T09:00:00Z","burnRate1h":15,"burnRate6h":6.5,"errorBudgetRemaining":0.4,"clearedAt":"2026-03-14T10:00:00Z"}]
        """;

    private void Answer(string alerts)
    {
        Http.On("GET /api/", "[]")
            .On("GET /api/slo", """[{"route":"chat","objective":{"availability":0.999},"availability":0.99,"compliant":false,"fastBurn":true}]""")
            .On("GET /api/slo/alerts", alerts);
    }

    [Fact]
    public void Open_alerts_show_newest_first_with_burn_rates_and_budget_and_cleared_ones_do_not()
    {
        Answer(Alerts);

        var cut = Render<Overview>();

        cut.WaitForAssertion(() =>
        {
            var rows = cut.FindAll("table[aria-label='Open SLO alerts'] tbody tr").Select(r => r.TextContent).ToList();
            Assert.Equal(2, rows.Count);
            Assert.Contains("batch", rows[0], StringComparison.Ordinal);
            Assert.Contains("20.0× / –", rows[0], StringComparison.Ordinal);
            Assert.Contains("chat", rows[1], StringComparison.Ordinal);
            Assert.Contains("2026-03-14 11:53:00 UTC", rows[1], StringComparison.Ordinal);
            Assert.Contains("16.5× / 7.2×", rows[1], StringComparison.Ordinal);
            Assert.Contains("-25.0 %", rows[1], StringComparison.Ordinal);
            Assert.Contains("fast burn", rows[1], StringComparison.Ordinal);
            Assert.DoesNotContain(rows, r => r.Contains("cheap", StringComparison.Ordinal));
        });
    }

    [Fact]
    public void Without_open_alerts_it_says_none()
    {
        Answer("""[{"route":"cheap","raisedAt":"2026-03-14T09:00:00Z","burnRate1h":15,"clearedAt":"2026-03-14T10:00:00Z"}]""");

        var cut = Render<Overview>();

        cut.WaitForAssertion(() =>
        {
            Assert.Contains("None: no route is burning its error budget fast.", cut.Markup, StringComparison.Ordinal);
            Assert.Empty(cut.FindAll("table[aria-label='Open SLO alerts']"));
        });
    }
}
