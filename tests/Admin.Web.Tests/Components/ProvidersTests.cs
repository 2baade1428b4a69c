using Bunit;
using Switchboard.Admin.Components.Pages.Providers;

namespace Switchboard.Admin.Tests.Components;

public sealed class ProvidersTests : AdminComponentTest
{
    private static string Health(string state, string circuit) => $$"""
        [{"provider":"openai","model":"gpt-4o-2024-08-06","state":"{{state}}","circuit":"{{circuit}}","requestsPerMin":8.5,"errorRate":0.02,
          "ttftMs":{"p50":200,"p95":640,"p99":900},"latencyMs":{"p50":400,"p95":1250,"p99":2000},
          "rateLimitHeadroom":{"requests":0.82,"tokens":0.5},"credentialInvalid":true,"drift":true,"demoted":false,"updatedAt":"2026-03-14T12:00:00Z"}]
        """;

    [Fact]
    public void A_health_change_shows_on_the_next_two_second_tick_without_a_reload()
    {
        Http.On("GET /api/health", Health("healthy", "closed")).On("GET /api/alerts", "[]");
        var cut = Render<Providers>();
        cut.WaitForAssertion(() => Assert.Contains("healthy", cut.Find("table[aria-label='Deployment health'] tbody tr").TextContent, StringComparison.Ordinal));

        Http.On("GET /api/health", Health("down", "open"));
        Time.Advance(TimeSpan.FromSeconds(2));

        cut.WaitForAssertion(() =>
        {
            var row = cut.Find("table[aria-label='Deployment health'] tbody tr").TextContent;
            Assert.Contains("down", row, StringComparison.Ordinal);
            Assert.Contains("open", row, StringComparison.Ordinal);
        });
    }

    [Fact]
    public void Headroom_drift_and_a_refused_credential_are_shown()
    {
        Http.On("GET /api/health", Health("degraded", "half-open")).On("GET /api/alerts", "[]");

        var cut = Render<Providers>();

        cut.WaitForAssertion(() =>
        {
            var row = cut.Find("table[aria-label='Deployment health'] tbody tr").TextContent;
            Assert.Contains("requests 82.0 %, tokens 50.0 %", row, StringComparison.Ordinal);
            Assert.Contains("model drift", row, StringComparison.Ordinal);
            Assert.Contains("credential refused", row, StringComparison.Ordinal);
            Assert.Contains("8.5 req/min", row, StringComparison.Ordinal);
            Assert.Contains("half-open", row, StringComparison.Ordinal);
        });
    }

    [Fact]
    public void Only_active_alerts_are_listed_and_acknowledging_one_posts_its_id()
    {
        Http.On("GET /api/health", "[]")
            .On("GET /api/alerts", """
                [{"id":17,"kind":"health","severity":"critical","provider":"openai","model":"gpt-4o","message":"5 consecutive failures","createdAt":"2026-03-14T11:00:00Z","acknowledgedAt":null,"acknowledgedBy":null},
                 {"id":12,"kind":"drift","severity":"warning","provider":"gemini","model":"gemini-1.5-pro-002","message":"old one","createdAt":"2026-03-14T10:00:00Z","acknowledgedAt":"2026-03-14T10:05:00Z","acknowledgedBy":"admin"}]
                """)
            .On("POST /api/alerts/17/ack", "", System.Net.HttpStatusCode.NoContent);
        var cut = Render<Providers>();
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("table[aria-label='Alerts'] tbody tr")));
        Assert.DoesNotContain("old one", cut.Markup, StringComparison.Ordinal);

        cut.Find("button[aria-label='Acknowledge alert 17']").Click();

        cut.WaitForAssertion(() => Assert.Equal(1, Http.Count("POST /api/alerts/17/ack")));
    }
}
