using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Switchboard.Admin.Tests.Browser;

/// <summary>
/// The browser paths the real stack cannot produce on demand, against <see cref="BrowserFixture"/>'s fake backend:
/// a deployment going down and its circuit opening (and showing without a reload) within seconds, model drift and
/// canary scores with their alerts, a hedged request's timeline, hedge and retry cost shares, three provider types at
/// once. Sign-in, overview, provider, routes, keys and the request log run against the real services in
/// <see cref="StackBrowserTests"/>.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class FakeBackendBrowserTests(BrowserFixture fixture)
{
    [Fact]
    public async Task A_deployment_going_down_shows_without_a_reload()
    {
        var (context, page, errors) = await fixture.SignedInAsync();
        await using var _ = context;

        await BrowserHost.Nav(page, "Providers").ClickAsync();
        var gemini = page.GetByRole(AriaRole.Table, new() { Name = "Deployment health" }).GetByRole(AriaRole.Row).Filter(new() { HasText = "gemini-1.5-pro-002" });
        await Expect(gemini).ToContainTextAsync("healthy");
        await Expect(gemini).ToContainTextAsync("model drift");
        fixture.Backend.SetHealth("gemini", "down");
        try
        {
            await Expect(gemini).ToContainTextAsync("down", new() { Timeout = 10_000 });
            await Expect(gemini).ToContainTextAsync("open");
            await fixture.ScreenshotAsync(page, "fake-01-providers-live");
        }
        finally
        {
            fixture.Backend.SetHealth("gemini", "healthy");
        }
        BrowserHost.AssertNoConsoleErrors(errors);
    }

    [Fact]
    public async Task The_overview_shows_open_slo_alerts_and_each_cascade_tiers_canary_quality()
    {
        var (context, page, errors) = await fixture.SignedInAsync();
        await using var _ = context;

        await BrowserHost.Nav(page, "Overview").ClickAsync();
        var alerts = page.GetByRole(AriaRole.Table, new() { Name = "Open SLO alerts" });
        await Expect(alerts.Locator("tbody tr")).ToHaveCountAsync(1);
        await Expect(alerts).ToContainTextAsync("chat");
        await Expect(alerts).ToContainTextAsync("16.5× / 7.2×");
        var tiers = page.GetByRole(AriaRole.Table, new() { Name = "Cascade tiers" });
        await Expect(tiers.Locator("tbody tr")).ToHaveCountAsync(2);
        await Expect(tiers.Locator("tbody tr").Nth(0)).ToContainTextAsync("43/50 canaries passed");
        await Expect(tiers.Locator("tbody tr").Nth(0)).ToContainTextAsync("86.0 %");
        await Expect(tiers.Locator("tbody tr").Nth(1)).ToContainTextAsync("not measured");
        await BrowserHost.AssertNoHorizontalScrollAsync(page);
        await fixture.ScreenshotAsync(page, "fake-05-overview-cascade");
        BrowserHost.AssertNoConsoleErrors(errors);
    }

    [Fact]
    public async Task A_hedged_request_opens_as_a_timeline_of_its_attempts()
    {
        var (context, page, errors) = await fixture.SignedInAsync();
        await using var _ = context;

        await BrowserHost.Nav(page, "Requests").ClickAsync();
        var table = page.GetByRole(AriaRole.Table, new() { Name = "Requests", Exact = true });
        await Expect(table.Locator("tbody tr")).ToHaveCountAsync(5);
        await page.GetByRole(AriaRole.Button, new() { Name = "Show the attempts of request req-hedged-001" }).ClickAsync();
        var attempts = page.GetByRole(AriaRole.Table, new() { Name = "Attempts" });
        await Expect(attempts.Locator("tbody tr")).ToHaveCountAsync(2);
        await Expect(attempts).ToContainTextAsync("Hedge");
        await Expect(page.Locator("#attempt-timeline .barlayer .trace")).ToHaveCountAsync(2);
        await fixture.ScreenshotAsync(page, "fake-02-requests-hedged");
        BrowserHost.AssertNoConsoleErrors(errors);
    }

    [Fact]
    public async Task Costs_split_hedging_and_retries_and_quality_shows_scores_and_drift_alerts()
    {
        var (context, page, errors) = await fixture.SignedInAsync();
        await using var _ = context;

        await BrowserHost.Nav(page, "Costs").ClickAsync();
        await Expect(page.GetByRole(AriaRole.Table, new() { Name = "Cost by Model" })).ToContainTextAsync("claude-3-5-sonnet-20241022");
        // Plotly lists stacked bars top-down, so the legend order is the stack's, reversed.
        await Expect(page.Locator("#cost-by-group .legendtext")).ToHaveCountAsync(3);
        Assert.Equal(["hedging", "retries", "useful"], (await page.Locator("#cost-by-group .legendtext").AllTextContentsAsync()).Order());
        await page.GetByRole(AriaRole.Checkbox, new() { Name = "Provider", Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Table, new() { Name = "Cost by Provider" })).ToContainTextAsync("anthropic");
        await fixture.ScreenshotAsync(page, "fake-03-costs");

        await BrowserHost.Nav(page, "Quality").ClickAsync();
        await Expect(page.Locator("#quality-scores .legendtext")).ToHaveCountAsync(3);
        await Expect(page.GetByRole(AriaRole.Table, new() { Name = "Alerts" })).ToContainTextAsync("gemini-1.5-pro-latest");
        await page.GetByRole(AriaRole.Button, new() { Name = "Acknowledge alert 17" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Table, new() { Name = "Alerts" })).ToContainTextAsync("acknowledged");
        await fixture.ScreenshotAsync(page, "fake-04-quality");
        BrowserHost.AssertNoConsoleErrors(errors);
    }
}
