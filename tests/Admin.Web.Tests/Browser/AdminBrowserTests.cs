using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Switchboard.Admin.Tests.Browser;

/// <summary>
/// Operators' daily paths in a real browser: sign in, overview charts, a provider, a route edit and publish,
/// a key created and revoked, the request log filtered. Each page is saved as a screenshot under
/// bin/.../artifacts/screenshots.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class AdminBrowserTests(BrowserFixture fixture)
{
    [Fact]
    public async Task Sign_in_then_the_overview_has_a_non_empty_chart_for_each_provider()
    {
        var (context, page, errors) = await fixture.NewPageAsync();
        await using var _ = context;

        await page.GotoAsync($"{fixture.BaseUrl}/costs");
        await Expect(page).ToHaveURLAsync($"{fixture.BaseUrl}/login?returnUrl=%2Fcosts");
        await fixture.ScreenshotAsync(page, "01-login");
        await page.GetByLabel("Admin key").FillAsync("wrong-key");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("That is not the admin key.");

        await page.GetByLabel("Admin key").FillAsync(BrowserFixture.AdminKey);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page).ToHaveURLAsync($"{fixture.BaseUrl}/costs");
        await BrowserFixture.WaitForInteractiveAsync(page);

        await Nav(page, "Overview").ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Overview" })).ToBeVisibleAsync();
        foreach (var chart in new[] { "chart-requests", "chart-latency", "chart-ttft", "chart-errors" })
        {
            var legend = page.Locator($"#{chart} .legendtext");
            await Expect(legend).ToHaveCountAsync(3);
            await Expect(legend).ToHaveTextAsync(["anthropic", "gemini", "openai"]);
            // Each provider's trace has drawn points, not just a legend entry.
            await Expect(page.Locator($"#{chart} .scatterlayer .trace")).ToHaveCountAsync(3);
            Assert.True(await page.Locator($"#{chart} .scatterlayer .trace .point").CountAsync() > 3 * 30);
        }
        await Expect(page.GetByRole(AriaRole.Table, new() { Name = "SLA per provider" })).ToContainTextAsync("1250 ms");
        await Expect(page.GetByRole(AriaRole.Table, new() { Name = "SLO per route" })).ToContainTextAsync("missed");
        await fixture.ScreenshotAsync(page, "02-overview");
        AssertNoConsoleErrors(errors);
    }

    [Fact]
    public async Task Opening_a_provider_shows_its_deployment_and_health_changes_show_without_a_reload()
    {
        var (context, page, errors) = await fixture.SignedInAsync();
        await using var _ = context;

        await page.GetByRole(AriaRole.Table, new() { Name = "SLA per provider" }).GetByRole(AriaRole.Link, new() { Name = "anthropic" }).ClickAsync();
        await Expect(page).ToHaveURLAsync($"{fixture.BaseUrl}/providers/anthropic");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "anthropic", Exact = true })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Table, new() { Name = "Deployment health" })).ToContainTextAsync("claude-3-5-sonnet-20241022");
        await Expect(page.Locator("#provider-latency .legendtext")).ToHaveCountAsync(4);
        await fixture.ScreenshotAsync(page, "03-provider-anthropic");

        await Nav(page, "Providers").ClickAsync();
        var gemini = page.GetByRole(AriaRole.Table, new() { Name = "Deployment health" }).GetByRole(AriaRole.Row).Filter(new() { HasText = "gemini-1.5-pro-002" });
        await Expect(gemini).ToContainTextAsync("healthy");
        await Expect(gemini).ToContainTextAsync("model drift");
        fixture.Backend.SetHealth("gemini", "down");
        try
        {
            await Expect(gemini).ToContainTextAsync("down", new() { Timeout = 10_000 });
            await Expect(gemini).ToContainTextAsync("open");
            await fixture.ScreenshotAsync(page, "04-providers-live");
        }
        finally
        {
            fixture.Backend.SetHealth("gemini", "healthy");
        }
        AssertNoConsoleErrors(errors);
    }

    [Fact]
    public async Task Editing_a_route_names_the_bad_field_then_publishes_a_new_version()
    {
        var (context, page, errors) = await fixture.SignedInAsync();
        await using var _ = context;

        await Nav(page, "Routes").ClickAsync();
        await Expect(page.GetByRole(AriaRole.Table, new() { Name = "Routes", Exact = true })).ToContainTextAsync("gpt-4o-2024-08-06");
        await fixture.ScreenshotAsync(page, "05-routes-table");

        await page.GetByRole(AriaRole.Tab, new() { Name = "Edit" }).ClickAsync();
        var editor = page.Locator("#routing-editor");
        var original = await editor.InputValueAsync();
        Assert.Contains("\"chat\"", original, StringComparison.Ordinal);

        await editor.FillAsync(original.Replace("\"strategy\": \"priority\"", "\"strategy\": \"fastest\"", StringComparison.Ordinal));
        await page.GetByRole(AriaRole.Button, new() { Name = "Validate" }).ClickAsync();
        await Expect(page.Locator(".validation-errors")).ToContainTextAsync("routes.chat.strategy");
        await fixture.ScreenshotAsync(page, "06-routes-validation");

        var edited = original.Replace("\"maxAttempts\": 3", "\"maxAttempts\": 4", StringComparison.Ordinal);
        await editor.FillAsync(edited);
        await page.GetByLabel("Comment (why this change)").FillAsync("one more attempt for chat");
        await page.GetByRole(AriaRole.Button, new() { Name = "Publish" }).ClickAsync();
        await Expect(page.GetByText("Published version 2.")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("current-version")).ToContainTextAsync("Version 2");

        await page.GetByRole(AriaRole.Tab, new() { Name = "History" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Table, new() { Name = "Routing versions" })).ToContainTextAsync("one more attempt for chat");
        await page.GetByRole(AriaRole.Button, new() { Name = "Compare version 1 with the current one" }).ClickAsync();
        await Expect(page.Locator("pre.diff .diff-added")).ToContainTextAsync("\"maxAttempts\": 4");
        await Expect(page.Locator("pre.diff .diff-removed")).ToContainTextAsync("\"maxAttempts\": 3");
        await fixture.ScreenshotAsync(page, "07-routes-history");
        AssertNoConsoleErrors(errors);
    }

    [Fact]
    public async Task A_key_is_shown_once_on_creation_and_can_be_revoked()
    {
        var (context, page, errors) = await fixture.SignedInAsync();
        await using var _ = context;

        await Nav(page, "Keys").ClickAsync();
        await Expect(page.GetByRole(AriaRole.Table, new() { Name = "Gateway keys" })).ToContainTextAsync("team-a");
        await page.Locator("#key-name").FillAsync("ci-test");
        await page.Locator("#key-models").FillAsync("chat, anthropic/*");
        await page.Locator("#key-budget").FillAsync("25");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create key" }).ClickAsync();

        await Expect(page.GetByTestId("new-key")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^sk-sb-[0-9a-f]{32}$"));
        var row = page.GetByRole(AriaRole.Table, new() { Name = "Gateway keys" }).GetByRole(AriaRole.Row).Filter(new() { HasText = "ci-test" });
        await Expect(row).ToContainTextAsync("chat, anthropic/*");
        await Expect(row).ToContainTextAsync("$25.00");
        await fixture.ScreenshotAsync(page, "08-keys-created");

        await page.GetByRole(AriaRole.Button, new() { Name = "Revoke key ci-test" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Confirm revoke" }).ClickAsync();
        await Expect(row).ToContainTextAsync("revoked");
        Assert.Contains("DELETE /api/keys/ci-test", fixture.Backend.Requests);

        // Shown once: a reload no longer has it.
        await page.ReloadAsync();
        await BrowserFixture.WaitForInteractiveAsync(page);
        await Expect(page.GetByRole(AriaRole.Table, new() { Name = "Gateway keys" })).ToContainTextAsync("ci-test");
        await Expect(page.GetByTestId("new-key")).ToHaveCountAsync(0);
        await fixture.ScreenshotAsync(page, "09-keys-revoked");
        AssertNoConsoleErrors(errors);
    }

    [Fact]
    public async Task The_request_log_filters_by_provider_and_opens_the_attempts_of_a_hedged_request()
    {
        var (context, page, errors) = await fixture.SignedInAsync();
        await using var _ = context;

        await Nav(page, "Requests").ClickAsync();
        var table = page.GetByRole(AriaRole.Table, new() { Name = "Requests", Exact = true });
        await Expect(table.Locator("tbody tr")).ToHaveCountAsync(5);

        await page.Locator("#filter-provider").FillAsync("anthropic");
        await page.GetByRole(AriaRole.Button, new() { Name = "Apply filters" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("provider=anthropic"));
        await Expect(table.Locator("tbody tr")).ToHaveCountAsync(2);
        Assert.Contains(fixture.Backend.Requests, r => r.StartsWith("GET /api/requests?", StringComparison.Ordinal) && r.Contains("&provider=anthropic", StringComparison.Ordinal));

        await page.GetByRole(AriaRole.Button, new() { Name = "Show the attempts of request req-hedged-001" }).ClickAsync();
        var attempts = page.GetByRole(AriaRole.Table, new() { Name = "Attempts" });
        await Expect(attempts.Locator("tbody tr")).ToHaveCountAsync(2);
        await Expect(attempts).ToContainTextAsync("Hedge");
        await Expect(page.Locator("#attempt-timeline .barlayer .trace")).ToHaveCountAsync(2);
        await fixture.ScreenshotAsync(page, "10-requests-attempts");
        AssertNoConsoleErrors(errors);
    }

    [Fact]
    public async Task Costs_and_quality_render_their_tables_and_charts()
    {
        var (context, page, errors) = await fixture.SignedInAsync();
        await using var _ = context;

        await Nav(page, "Costs").ClickAsync();
        await Expect(page.GetByRole(AriaRole.Table, new() { Name = "Cost by Model" })).ToContainTextAsync("claude-3-5-sonnet-20241022");
        // Plotly lists stacked bars top-down, so the legend order is the stack's, reversed.
        await Expect(page.Locator("#cost-by-group .legendtext")).ToHaveCountAsync(3);
        Assert.Equal(["hedging", "retries", "useful"], (await page.Locator("#cost-by-group .legendtext").AllTextContentsAsync()).Order());
        await page.GetByRole(AriaRole.Checkbox, new() { Name = "Provider", Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Table, new() { Name = "Cost by Provider" })).ToContainTextAsync("anthropic");
        await fixture.ScreenshotAsync(page, "11-costs");

        await Nav(page, "Quality").ClickAsync();
        await Expect(page.Locator("#quality-scores .legendtext")).ToHaveCountAsync(3);
        await Expect(page.GetByRole(AriaRole.Table, new() { Name = "Alerts" })).ToContainTextAsync("gemini-1.5-pro-latest");
        await fixture.ScreenshotAsync(page, "12-quality");
        AssertNoConsoleErrors(errors);
    }

    private static ILocator Nav(IPage page, string name) =>
        page.GetByRole(AriaRole.Navigation, new() { Name = "Pages" }).GetByRole(AriaRole.Link, new() { Name = name });

    private static void AssertNoConsoleErrors(List<string> errors)
    {
        lock (errors)
        {
            Assert.True(errors.Count == 0, "browser console errors (CSP violations included):\n" + string.Join("\n", errors));
        }
    }
}
