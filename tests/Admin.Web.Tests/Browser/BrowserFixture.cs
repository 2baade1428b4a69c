using Microsoft.Playwright;
using Switchboard.Admin.Tests.Fakes;

namespace Switchboard.Admin.Tests.Browser;

/// <summary>
/// Admin.Web on a real loopback socket, its service discovery pointed at <see cref="FakeBackend"/>, and Debian's
/// Chromium driven headless by Playwright (MACHINE.md: offline, ExecutablePath required).
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string AdminKey = "browser-admin-key-0123456789abcdef";

    public FakeBackend Backend { get; private set; } = default!;
    public AdminWebFactory App { get; private set; } = default!;
    public string BaseUrl { get; private set; } = "";
    public IPlaywright Playwright { get; private set; } = default!;
    public IBrowser Browser { get; private set; } = default!;
    public string Screenshots { get; } = Path.Combine(AppContext.BaseDirectory, "artifacts", "screenshots");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Screenshots);
        Backend = await FakeBackend.StartAsync(AdminKey, DateTimeOffset.UtcNow);
        App = new AdminWebFactory(Backend);
        BaseUrl = App.StartKestrel();
        Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        Browser = await Playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
    }

    /// <summary>A laptop-sized browser context, signed in through the /login form.</summary>
    public async Task<(IBrowserContext Context, IPage Page, List<string> ConsoleErrors)> SignedInAsync()
    {
        var (context, page, errors) = await NewPageAsync();
        await page.GotoAsync($"{BaseUrl}/login");
        await page.GetByLabel("Admin key").FillAsync(AdminKey);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.WaitForURLAsync($"{BaseUrl}/");
        await WaitForInteractiveAsync(page);
        return (context, page, errors);
    }

    public async Task<(IBrowserContext Context, IPage Page, List<string> ConsoleErrors)> NewPageAsync()
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1366, Height = 768 } });
        context.SetDefaultTimeout(15_000);
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Type == "error" && !message.Text.Contains("_redrawFromAutoMarginCount", StringComparison.Ordinal))
            {
                lock (errors)
                {
                    errors.Add(message.Text);
                }
            }
        };
        page.PageError += (_, error) =>
        {
            // plotly.js defers an auto-margin redraw with a timer; when the operator has already left the page, the
            // timer fires for a chart Blazor removed and plotly.js throws inside its own callback. Nothing of ours
            // runs there and the page now shown is unaffected, so only this one known library error is tolerated.
            if (error.Contains("_redrawFromAutoMarginCount", StringComparison.Ordinal))
            {
                return;
            }
            lock (errors)
            {
                errors.Add(error);
            }
        };
        return (context, page, errors);
    }

    /// <summary>Waits until Blazor's circuit is up, so clicks reach .NET handlers.</summary>
    public static Task WaitForInteractiveAsync(IPage page) =>
        page.Locator("#circuit-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });

    public Task ScreenshotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, $"{name}.png"), FullPage = true });

    public async Task DisposeAsync()
    {
        await Browser.DisposeAsync();
        Playwright.Dispose();
        await App.DisposeAsync();
        await Backend.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>
{
    public const string Name = "browser";
}
