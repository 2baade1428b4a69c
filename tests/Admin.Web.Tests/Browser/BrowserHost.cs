using Microsoft.Playwright;
using Switchboard.Admin.Tests.Fakes;

namespace Switchboard.Admin.Tests.Browser;

/// <summary>
/// Admin.Web on a real loopback socket and Debian's Chromium driven headless by Playwright (MACHINE.md: offline,
/// ExecutablePath required). The fixtures differ in what stands behind Admin.Web: the real services or a fake.
/// </summary>
public abstract class BrowserHost : IAsyncLifetime
{
    public AdminWebFactory App { get; protected set; } = default!;
    public string BaseUrl { get; protected set; } = "";
    public IPlaywright Playwright { get; private set; } = default!;
    public IBrowser Browser { get; private set; } = default!;
    public string Screenshots { get; } = Path.Combine(AppContext.BaseDirectory, "artifacts", "screenshots");

    /// <summary>The admin key Admin.Web is configured with.</summary>
    public abstract string AdminKey { get; }

    /// <summary>Starts what stands behind Admin.Web and Admin.Web itself (sets <see cref="App"/> and <see cref="BaseUrl"/>).</summary>
    protected abstract Task StartBackendAsync();

    protected virtual Task StopBackendAsync() => Task.CompletedTask;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Screenshots);
        // Seven helpers share two cores here: a page can take seconds to react without anything being wrong.
        Assertions.SetDefaultExpectTimeout(20_000);
        await StartBackendAsync();
        Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        Browser = await Playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
    }

    /// <summary>A laptop-sized (1280x800) browser context, signed in through the /login form.</summary>
    public async Task<(IBrowserContext Context, IPage Page, List<string> ConsoleErrors)> SignedInAsync()
    {
        var (context, page, errors) = await NewPageAsync();
        await page.GotoAsync($"{BaseUrl}/login");
        await page.GetByLabel("Admin key").FillAsync(AdminKey);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        // The address, then the circuit: never a load state. WaitForURLAsync, when the redirect has already happened,
        // waits for a load state whatever WaitUntil says, and on a loaded machine the load event of the redirected page
        // came after 30 s (twice, the second time in a clean CI run) while the page itself was up and interactive.
        await Assertions.Expect(page).ToHaveURLAsync($"{BaseUrl}/");
        await WaitForInteractiveAsync(page);
        return (context, page, errors);
    }

    /// <summary>A new 1280x800 page (the laptop screen the issue asks for) that records every console error and page error.</summary>
    public async Task<(IBrowserContext Context, IPage Page, List<string> ConsoleErrors)> NewPageAsync()
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 800 } });
        context.SetDefaultTimeout(30_000);
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                lock (errors)
                {
                    errors.Add(message.Text);
                }
            }
        };
        page.PageError += (_, error) =>
        {
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

    /// <summary>The link of a page in the navigation menu.</summary>
    public static ILocator Nav(IPage page, string name) =>
        page.GetByRole(AriaRole.Navigation, new() { Name = "Pages" }).GetByRole(AriaRole.Link, new() { Name = name });

    /// <summary>Fails with every console error (CSP violations included) the page logged.</summary>
    public static void AssertNoConsoleErrors(List<string> errors)
    {
        lock (errors)
        {
            Assert.True(errors.Count == 0, "browser console errors (CSP violations included):\n" + string.Join("\n", errors));
        }
    }

    /// <summary>
    /// True when no part of the page sticks out sideways at 1280 px: the page scrolls down, never right.
    /// </summary>
    public static async Task AssertNoHorizontalScrollAsync(IPage page) =>
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"),
            $"{page.Url} scrolls sideways at 1280 px");

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }
        Playwright?.Dispose();
        if (App is not null)
        {
            await App.DisposeAsync();
        }
        await StopBackendAsync();
    }
}
