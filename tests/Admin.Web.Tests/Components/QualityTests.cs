using Bunit;
using Switchboard.Admin.Components.Pages.Quality;

namespace Switchboard.Admin.Tests.Components;

public sealed class QualityTests : AdminComponentTest
{
    [Fact]
    public void Scores_and_alerts_are_listed_and_an_alert_can_be_acknowledged()
    {
        // Router.Worker's shape: the leader's scores now and the stored history (a deployment without a score is left out).
        Http.On("GET /api/quality", """
                {"current":[{"provider":"openai","model":"gpt-4o","at":"2026-03-14T11:59:00Z","score":0.91,"canaryRuns":10,"canaryPassed":9,"sampled":0,"structureFailures":0,"truncatedRate":0,"driftModel":null},
                            {"provider":"anthropic","model":"claude","at":"2026-03-14T11:59:00Z","score":null,"canaryRuns":0,"canaryPassed":0,"sampled":0,"structureFailures":0,"truncatedRate":0,"driftModel":null}],
                 "history":[{"provider":"openai","model":"gpt-4o","at":"2026-03-14T11:00:00Z","score":0.8,"canaryRuns":5,"canaryPassed":4,"sampled":0,"structureFailures":0,"truncatedRate":0,"driftModel":null},
                            {"provider":"openai","model":"gpt-4o","at":"2026-03-14T11:30:00Z","score":0.91,"canaryRuns":10,"canaryPassed":9,"sampled":0,"structureFailures":0,"truncatedRate":0,"driftModel":null}]}
                """)
            .On("GET /api/alerts", """[{"id":17,"kind":"quality","severity":"warning","provider":"openai","model":"gpt-4o","message":"score 0.80 < 0.85","createdAt":"2026-03-14T11:00:00Z","acknowledgedAt":null,"acknowledgedBy":null}]""")
            .On("POST /api/alerts/17/ack", "", System.Net.HttpStatusCode.NoContent);

        var cut = Render<Quality>();

        cut.WaitForAssertion(() =>
        {
            var row = Assert.Single(cut.FindAll("table[aria-label='Quality score per deployment'] tbody tr")).TextContent;
            Assert.Contains("91.0 %", row, StringComparison.Ordinal);
            Assert.Contains("80.0 %", row, StringComparison.Ordinal);
        });
        cut.Find("button[aria-label='Acknowledge alert 17']").Click();
        cut.WaitForAssertion(() => Assert.Equal(1, Http.Count("POST /api/alerts/17/ack")));
    }

    [Fact]
    public void Without_canaries_it_says_how_to_add_them()
    {
        Http.On("GET /api/quality", """{"current":[],"history":[]}""").On("GET /api/alerts", "[]");

        var cut = Render<Quality>();

        cut.WaitForAssertion(() => Assert.Contains("monitoring.canaries", cut.Markup, StringComparison.Ordinal));
    }
}
