using System.ClientModel;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using OpenAI.Chat;
using Switchboard.Admin.Clients;
using Switchboard.Testing.Stack;
using static Microsoft.Playwright.Assertions;

namespace Switchboard.Admin.Tests.Browser;

/// <summary>
/// An operator's daily paths in Debian's Chromium against the real services after real traffic (see
/// <see cref="StackFixture"/>): sign in, the overview's charts per provider, a provider, a route edited and published
/// (and the gateways then obeying it), a key created, used through the gateway and revoked, the request log filtered
/// and a retried request's attempts. Every page is saved as a screenshot under bin/.../artifacts/screenshots.
/// </summary>
[Collection(StackCollection.Name)]
public sealed partial class StackBrowserTests(StackFixture fixture)
{
    private static readonly string[] Providers = [SwitchboardStack.Provider, StackFixture.Second];

    [Fact]
    public async Task Sign_in_then_the_overview_has_a_non_empty_chart_for_each_provider()
    {
        var (context, page, errors) = await fixture.NewPageAsync();
        await using var _ = context;

        await page.GotoAsync($"{fixture.BaseUrl}/costs");
        await Expect(page).ToHaveURLAsync($"{fixture.BaseUrl}/login?returnUrl=%2Fcosts");
        await page.GetByLabel("Admin key").FillAsync("not-the-admin-key");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("That is not the admin key.");
        await fixture.ScreenshotAsync(page, "real-01-login-refused");

        await page.GetByLabel("Admin key").FillAsync(fixture.AdminKey);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page).ToHaveURLAsync($"{fixture.BaseUrl}/costs");
        await BrowserHost.WaitForInteractiveAsync(page);

        await BrowserHost.Nav(page, "Overview").ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Overview" })).ToBeVisibleAsync();
        var sla = page.GetByRole(AriaRole.Table, new() { Name = "SLA per provider" });
        foreach (var provider in Providers)
        {
            // Every number carries its unit: percent, ms, dollars.
            await Expect(sla.GetByRole(AriaRole.Row).Filter(new() { Has = page.GetByRole(AriaRole.Link, new() { Name = provider, Exact = true }) }))
                .ToContainTextAsync(new Regex(@"\d+(\.\d+)? %[\s\S]*\d+ ms[\s\S]*\$\d"));
        }
        var slo = page.GetByRole(AriaRole.Table, new() { Name = "SLO per route" }).GetByRole(AriaRole.Row).Filter(new() { HasText = "chat" });
        await Expect(slo).ToContainTextAsync("/ 99.00 %");
        await Expect(slo).ToContainTextAsync("p95 objective 2000 ms");
        await Expect(slo).ToContainTextAsync(new Regex("met|missed"));
        // The cascade route's tiers with the canary quality the real Router.Worker measured.
        var tiers = page.GetByRole(AriaRole.Table, new() { Name = "Cascade tiers" });
        await Expect(tiers.Locator("tbody tr").Filter(new() { HasText = StackFixture.SecondModel })).ToContainTextAsync(new Regex(@"\d+/\d+ canaries passed"));
        foreach (var chart in new[] { "chart-requests", "chart-latency", "chart-ttft", "chart-errors" })
        {
            await Expect(page.Locator($"#{chart} .legendtext")).ToHaveTextAsync(Providers);
            foreach (var (provider, index) in Providers.Select((p, i) => (p, i)))
            {
                // Each provider's trace has drawn points, not just a legend entry.
                Assert.True(await page.Locator($"#{chart} .scatterlayer .trace").Nth(index).Locator(".point").CountAsync() > 0,
                    $"{chart}: no point drawn for {provider}");
            }
        }
        await BrowserHost.AssertNoHorizontalScrollAsync(page);
        await fixture.ScreenshotAsync(page, "real-02-overview");
        BrowserHost.AssertNoConsoleErrors(errors);
    }

    [Fact]
    public async Task Opening_a_provider_shows_its_live_deployment_health_and_service_level()
    {
        var (context, page, errors) = await fixture.SignedInAsync();
        await using var _ = context;

        await page.GetByRole(AriaRole.Table, new() { Name = "SLA per provider" }).GetByRole(AriaRole.Link, new() { Name = StackFixture.Second, Exact = true }).ClickAsync();
        await Expect(page).ToHaveURLAsync($"{fixture.BaseUrl}/providers/{StackFixture.Second}");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = StackFixture.Second, Exact = true })).ToBeVisibleAsync();
        var deployment = page.GetByRole(AriaRole.Table, new() { Name = "Deployment health" }).GetByRole(AriaRole.Row).Filter(new() { HasText = StackFixture.SecondModel });
        await Expect(deployment).ToContainTextAsync(new Regex("healthy|degraded|down"));
        await Expect(deployment).ToContainTextAsync(new Regex("closed|open|half-open"));
        await Expect(page.GetByRole(AriaRole.Table, new() { Name = "Service level" })).ToContainTextAsync(new Regex(@"Requests\s*\d+"));
        await Expect(page.Locator("#provider-latency .legendtext")).ToHaveCountAsync(4);
        Assert.True(await page.Locator("#provider-requests .scatterlayer .trace .point").CountAsync() > 0);
        await BrowserHost.AssertNoHorizontalScrollAsync(page);
        await fixture.ScreenshotAsync(page, "real-03-provider");

        await BrowserHost.Nav(page, "Providers").ClickAsync();
        var table = page.GetByRole(AriaRole.Table, new() { Name = "Deployment health" });
        await Expect(table).ToContainTextAsync(SwitchboardStack.Model);
        await Expect(table).ToContainTextAsync(StackFixture.SecondModel);
        await fixture.ScreenshotAsync(page, "real-04-providers");
        BrowserHost.AssertNoConsoleErrors(errors);
    }

    [Fact]
    public async Task Editing_a_route_names_the_bad_field_then_publishes_a_version_the_gateways_obey()
    {
        var (context, page, errors) = await fixture.SignedInAsync();
        await using var _ = context;
        var before = (await fixture.Router.GetCurrentRoutingAsync(CancellationToken.None))!.Version;

        await BrowserHost.Nav(page, "Routes").ClickAsync();
        await Expect(page.GetByRole(AriaRole.Table, new() { Name = "Routes", Exact = true })).ToContainTextAsync(StackFixture.SecondModel);
        await fixture.ScreenshotAsync(page, "real-05-routes-table");

        await page.GetByRole(AriaRole.Tab, new() { Name = "Edit" }).ClickAsync();
        var editor = page.Locator("#routing-editor");
        var original = await editor.InputValueAsync();
        Assert.Contains("\"fast\"", original, StringComparison.Ordinal);

        await editor.FillAsync(original.Replace("\"strategy\": \"priority\"", "\"strategy\": \"fastest\"", StringComparison.Ordinal));
        await page.GetByRole(AriaRole.Button, new() { Name = "Validate" }).ClickAsync();
        await Expect(page.Locator(".validation-errors")).ToContainTextAsync("routes.chat.strategy");
        await fixture.ScreenshotAsync(page, "real-06-routes-validation");

        // A new route "edited" sending to the first provider: once published, the gateways must answer it.
        var document = JsonNode.Parse(original)!.AsObject();
        document["routes"]!["edited"] = JsonNode.Parse($$"""{ "targets": [ { "provider": "{{SwitchboardStack.Provider}}", "model": "{{SwitchboardStack.Model}}" } ], "maxAttempts": 2 }""");
        await editor.FillAsync(document.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        await page.GetByLabel("Comment (why this change)").FillAsync("route edited for the browser test");
        await page.GetByRole(AriaRole.Button, new() { Name = "Publish" }).ClickAsync();
        await Expect(page.GetByText($"Published version {before + 1}.")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("current-version")).ToContainTextAsync($"Version {before + 1}");

        await page.GetByRole(AriaRole.Tab, new() { Name = "History" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Table, new() { Name = "Routing versions" })).ToContainTextAsync("route edited for the browser test");
        await page.GetByRole(AriaRole.Button, new() { Name = $"Compare version {before} with the current one" }).ClickAsync();
        await Expect(page.Locator("pre.diff .diff-added").First).ToBeVisibleAsync();
        await Expect(page.Locator("pre.diff")).ToContainTextAsync("\"edited\"");
        await fixture.ScreenshotAsync(page, "real-07-routes-history");

        await StackFixture.UntilAsync(async () =>
        {
            try
            {
                await StackFixture.Client(fixture.Stack.Gateways[1].BaseAddress, "edited").CompleteChatAsync([new UserChatMessage("after the publish")]);
                return true;
            }
            catch (ClientResultException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(20), "the gateway serves the route published from the browser");
        BrowserHost.AssertNoConsoleErrors(errors);
    }

    [Fact]
    public async Task A_key_created_in_the_browser_works_at_the_gateway_until_it_is_revoked()
    {
        var (context, page, errors) = await fixture.SignedInAsync();
        await using var _ = context;
        var name = $"browser-{Guid.NewGuid():N}"[..20];

        await BrowserHost.Nav(page, "Keys").ClickAsync();
        await page.Locator("#key-name").FillAsync(name);
        await page.Locator("#key-models").FillAsync("chat");
        await page.Locator("#key-budget").FillAsync("25");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create key" }).ClickAsync();

        var shown = page.GetByTestId("new-key");
        await Expect(shown).ToHaveTextAsync(new Regex("^sb-[A-Za-z0-9_-]{20,}$"));
        var key = (await shown.TextContentAsync())!.Trim();
        var row = page.GetByRole(AriaRole.Table, new() { Name = "Gateway keys" }).GetByRole(AriaRole.Row).Filter(new() { HasText = name });
        await Expect(row).ToContainTextAsync("chat");
        await Expect(row).ToContainTextAsync("$25.00");
        await fixture.ScreenshotAsync(page, "real-08-keys-created");

        var gateway = fixture.Stack.Gateways[0].BaseAddress;
        await StackFixture.UntilAsync(() => AcceptedAsync(gateway, key), TimeSpan.FromSeconds(20), "the gateway accepts the new key");

        await page.GetByRole(AriaRole.Button, new() { Name = $"Revoke key {name}" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Confirm revoke" }).ClickAsync();
        await Expect(row).ToContainTextAsync("revoked");
        await StackFixture.UntilAsync(async () => !await AcceptedAsync(gateway, key), TimeSpan.FromSeconds(20), "the gateway refuses the revoked key");

        // Shown once: a reload no longer has it.
        await page.ReloadAsync();
        await BrowserHost.WaitForInteractiveAsync(page);
        await Expect(page.GetByRole(AriaRole.Table, new() { Name = "Gateway keys" })).ToContainTextAsync(name);
        await Expect(page.GetByTestId("new-key")).ToHaveCountAsync(0);
        await fixture.ScreenshotAsync(page, "real-09-keys-revoked");
        BrowserHost.AssertNoConsoleErrors(errors);
    }

    [Fact]
    public async Task The_request_log_filters_by_provider_and_status_and_opens_a_retried_request()
    {
        Assert.NotEmpty(fixture.RetriedRequests);
        var (context, page, errors) = await fixture.SignedInAsync();
        await using var _ = context;

        await BrowserHost.Nav(page, "Requests").ClickAsync();
        var table = page.GetByRole(AriaRole.Table, new() { Name = "Requests", Exact = true });
        await Expect(table.Locator("tbody tr").First).ToBeVisibleAsync();

        await page.Locator("#filter-provider").FillAsync(StackFixture.Second);
        await page.GetByRole(AriaRole.Button, new() { Name = "Apply filters" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex($"provider={StackFixture.Second}"));
        // The newest rows may be deepseek's before the filter applies: wait until no other provider is left.
        await Expect(table.Locator("tbody tr").Filter(new() { HasText = SwitchboardStack.Provider + " /" })).ToHaveCountAsync(0);
        await Expect(table.Locator("tbody tr").First).ToContainTextAsync(StackFixture.Second);
        foreach (var answeredBy in await table.Locator("tbody tr td[data-label='Answered by']").AllTextContentsAsync())
        {
            Assert.StartsWith(StackFixture.Second, answeredBy.Trim(), StringComparison.Ordinal);
        }

        await page.Locator("#filter-status").FillAsync("503");
        await page.GetByRole(AriaRole.Button, new() { Name = "Apply filters" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("status=503"));
        var failed = await table.Locator("tbody tr").CountAsync();
        Assert.True(failed > 0, "no 503 attempt in the log");
        await fixture.ScreenshotAsync(page, "real-10-requests-filtered");
        // A class: the page sends it as it is and Metrics.Service answers the 5xx attempts (the 503s among them).
        await page.Locator("#filter-status").FillAsync("5xx");
        await page.GetByRole(AriaRole.Button, new() { Name = "Apply filters" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("status=5xx"));
        await Expect(table.Locator("tbody tr").First).ToBeVisibleAsync();
        var fivexx = await fixture.Metrics.GetRequestsAsync(
            new RequestFilter(TimeWindow.Last(TimeSpan.FromHours(1), TimeProvider.System), Provider: StackFixture.Second, Status: "5xx"), CancellationToken.None);
        Assert.Contains(fivexx, r => r.Status == 503);
        Assert.All(fivexx, r => Assert.InRange(r.Status, 500, 599));

        // A request whose first attempt met a 503 and whose retry answered: both attempts on the timeline.
        var retried = fixture.RetriedRequests[0];
        await page.GotoAsync($"{fixture.BaseUrl}/requests?provider={StackFixture.Second}");
        await BrowserHost.WaitForInteractiveAsync(page);
        await page.GetByRole(AriaRole.Button, new() { Name = $"Show the attempts of request {retried}" }).ClickAsync();
        var attempts = page.GetByRole(AriaRole.Table, new() { Name = "Attempts" });
        await Expect(attempts.Locator("tbody tr")).ToHaveCountAsync(2);
        await Expect(attempts).ToContainTextAsync("Retry");
        await Expect(attempts).ToContainTextAsync("503");
        await Expect(page.Locator("#attempt-timeline .barlayer .trace")).Not.ToHaveCountAsync(0);
        await fixture.ScreenshotAsync(page, "real-11-requests-attempts");
        BrowserHost.AssertNoConsoleErrors(errors);
    }

    [Fact]
    public async Task Costs_and_quality_show_the_real_data_or_say_what_to_do()
    {
        var (context, page, errors) = await fixture.SignedInAsync();
        await using var _ = context;

        await BrowserHost.Nav(page, "Costs").ClickAsync();
        await Expect(page.GetByRole(AriaRole.Table, new() { Name = "Cost by Model" })).ToContainTextAsync(StackFixture.SecondModel);
        await Expect(page.GetByRole(AriaRole.Table, new() { Name = "Cost by Model" })).ToContainTextAsync("$");
        await BrowserHost.AssertNoHorizontalScrollAsync(page);
        await fixture.ScreenshotAsync(page, "real-12-costs");

        // The stack's document has a canary prompt: Router.Worker's scores per deployment.
        await BrowserHost.Nav(page, "Quality").ClickAsync();
        await Expect(page.GetByRole(AriaRole.Table, new() { Name = "Quality score per deployment" })).ToContainTextAsync(StackFixture.SecondModel);
        await Expect(page.GetByRole(AriaRole.Table, new() { Name = "Quality score per deployment" })).ToContainTextAsync("%");
        await fixture.ScreenshotAsync(page, "real-13-quality");
        BrowserHost.AssertNoConsoleErrors(errors);
    }

    private static async Task<bool> AcceptedAsync(Uri gateway, string key)
    {
        try
        {
            await StackFixture.Client(gateway, "chat", key).CompleteChatAsync([new UserChatMessage("with the new key")]);
            return true;
        }
        catch (ClientResultException ex) when (ex.Status is 401 or 403)
        {
            return false;
        }
    }
}
