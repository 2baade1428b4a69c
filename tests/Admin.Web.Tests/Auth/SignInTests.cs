using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing;
using Switchboard.Admin.Tests.Fakes;

namespace Switchboard.Admin.Tests.Auth;

/// <summary>The sign-in flow over HTTP: cookie session, anti-forgery, redirects, headers.</summary>
public sealed partial class SignInTests : IAsyncLifetime
{
    private const string AdminKey = "test-admin-key-0123456789abcdef";
    private FakeBackend _backend = default!;
    private AdminWebFactory _factory = default!;

    public async Task InitializeAsync()
    {
        _backend = await FakeBackend.StartAsync(AdminKey, DateTimeOffset.UtcNow);
        _factory = new AdminWebFactory(_backend);
    }

    public async Task DisposeAsync()
    {
        await _factory.DisposeAsync();
        await _backend.DisposeAsync();
    }

    private HttpClient Client() => _factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });

    [Theory]
    [InlineData("/")]
    [InlineData("/providers")]
    [InlineData("/routes")]
    [InlineData("/keys")]
    [InlineData("/costs")]
    [InlineData("/requests")]
    [InlineData("/quality")]
    [InlineData("/providers/openai")]
    public async Task Every_page_redirects_an_anonymous_visitor_to_login(string path)
    {
        using var client = Client();
        using var response = await client.GetAsync(path);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal($"/login?returnUrl={Uri.EscapeDataString(path)}", response.Headers.Location!.PathAndQuery);
    }

    [Fact]
    public async Task The_circuit_hub_refuses_an_anonymous_connection()
    {
        using var client = Client();
        using var response = await client.PostAsync("/_blazor/negotiate?negotiateVersion=1", null);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(0, _backend.Unauthorized);
    }

    [Fact]
    public async Task A_wrong_key_is_refused_and_not_echoed_back()
    {
        using var client = Client();
        using var response = await PostLoginAsync(client, "not-the-key-at-all", "/");
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("That is not the admin key.", html, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-key-at-all", html, StringComparison.Ordinal);
        Assert.False(response.Headers.TryGetValues("Set-Cookie", out var cookies) && cookies.Any(c => c.StartsWith("switchboard.admin=", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task The_right_key_sets_a_strict_http_only_cookie_and_returns_to_the_page_asked_for()
    {
        using var client = Client();
        using var response = await PostLoginAsync(client, AdminKey, "/routes");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/routes", Local(response));
        var cookie = response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("switchboard.admin=", StringComparison.Ordinal));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);

        using var page = await client.GetAsync("/routes");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
    }

    [Fact]
    public async Task A_return_url_to_another_site_is_ignored()
    {
        using var client = Client();
        using var response = await PostLoginAsync(client, AdminKey, "//evil.example/phish");

        Assert.Equal("/", Local(response));
    }

    [Fact]
    public async Task A_login_post_without_the_anti_forgery_token_is_rejected()
    {
        using var client = Client();
        using var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["_handler"] = "login", ["Input.Key"] = AdminKey });
        using var response = await client.PostAsync("/login", form);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Sign_out_needs_the_anti_forgery_token_and_ends_the_session()
    {
        using var client = Client();
        (await PostLoginAsync(client, AdminKey, "/")).Dispose();

        using (var forged = await client.PostAsync("/logout", new FormUrlEncodedContent([])))
        {
            Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        }

        var overview = await client.GetStringAsync("/");
        using var logout = await client.PostAsync("/logout", new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = Token(overview) }));
        Assert.Equal(HttpStatusCode.Redirect, logout.StatusCode);
        Assert.Equal("/login", Local(logout));

        using var after = await client.GetAsync("/");
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
    }

    [Fact]
    public async Task Pages_carry_security_headers_suited_to_blazor_server()
    {
        using var client = Client();
        using var response = await client.GetAsync("/login");

        var csp = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-eval", csp, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
    }

    [Fact]
    public async Task The_login_page_has_no_inline_script_and_no_external_asset()
    {
        using var client = Client();
        var html = await client.GetStringAsync("/login");

        Assert.DoesNotMatch(ScriptWithoutSrc(), html);
        Assert.DoesNotMatch(ExternalAsset(), html);
    }

    [Fact]
    public async Task Health_endpoints_stay_anonymous()
    {
        using var client = Client();
        using var alive = await client.GetAsync("/alive");

        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
    }

    [Fact]
    public async Task The_ui_kit_assets_are_served_locally()
    {
        using var client = Client();
        using var css = await client.GetAsync("/_content/MudBlazor/MudBlazor.min.css");
        using var plotly = await client.GetAsync("/_content/Plotly.Blazor/plotly-basic-3.7.0.min.js");

        Assert.Equal(HttpStatusCode.OK, css.StatusCode);
        Assert.Equal(HttpStatusCode.OK, plotly.StatusCode);
    }

    internal static async Task<HttpResponseMessage> PostLoginAsync(HttpClient client, string key, string returnUrl)
    {
        var login = await client.GetStringAsync($"/login?returnUrl={Uri.EscapeDataString(returnUrl)}");
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "login",
            ["__RequestVerificationToken"] = Token(login),
            ["Input.Key"] = key,
        });
        return await client.PostAsync($"/login?returnUrl={Uri.EscapeDataString(returnUrl)}", form);
    }

    /// <summary>The redirect target, which must stay on this site.</summary>
    private static string Local(HttpResponseMessage response)
    {
        var location = response.Headers.Location!;
        if (location.IsAbsoluteUri)
        {
            Assert.Equal("localhost", location.Host);
            return location.PathAndQuery;
        }
        return location.OriginalString;
    }

    private static string Token(string html) =>
        WebUtility.HtmlDecode(AntiforgeryInput().Match(html) is { Success: true } m ? m.Groups[1].Value : throw new InvalidOperationException("no anti-forgery token in the page"));

    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryInput();

    [GeneratedRegex("<script(?![^>]*\\bsrc=)[^>]*>")]
    private static partial Regex ScriptWithoutSrc();

    [GeneratedRegex("(src|href)=\"https?://")]
    private static partial Regex ExternalAsset();
}
