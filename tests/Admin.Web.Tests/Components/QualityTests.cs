using Bunit;
using Switchboard.Admin.Components.Pages.Quality;

namespace Switchboard.Admin.Tests.Components;

public sealed class QualityTests : AdminComponentTest
{
    [Fact]
    public void Scores_and_alerts_are_listed_and_an_alert_can_be_acknowledged()
    {
        Http.On("GET /api/quality", """[{"provider":"openai","model":"gpt-4o","score":0.91,"points":[{"t":"2026-03-14T11:00:00Z","score":0.8},{"t":"2026-03-14T11:30:00Z","score":0.91}]}]""")
            .On("GET /api/alerts", """[{"id":"q-1","kind":"quality","provider":"openai","model":"gpt-4o","message":"score 0.80 < 0.85","raisedAt":"2026-03-14T11:00:00Z"}]""")
            .On("POST /api/alerts/q-1/ack", "", System.Net.HttpStatusCode.NoContent);

        var cut = Render<Quality>();

        cut.WaitForAssertion(() =>
        {
            var row = cut.Find("table[aria-label='Quality score per deployment'] tbody tr").TextContent;
            Assert.Contains("91.0 %", row, StringComparison.Ordinal);
            Assert.Contains("80.0 %", row, StringComparison.Ordinal);
        });
        cut.Find("button[aria-label='Acknowledge alert q-1']").Click();
        cut.WaitForAssertion(() => Assert.Equal(1, Http.Count("POST /api/alerts/q-1/ack")));
    }

    [Fact]
    public void Without_canaries_it_says_how_to_add_them()
    {
        Http.On("GET /api/", "[]");

        var cut = Render<Quality>();

        cut.WaitForAssertion(() => Assert.Contains("monitoring.canaries", cut.Markup, StringComparison.Ordinal));
    }
}
