using Microsoft.Extensions.Options;
using Switchboard.Admin.Auth;

namespace Switchboard.Admin.Tests.Auth;

public sealed class AdminKeyTests
{
    private static AdminKeyVerifier Verifier(string key) => new(Options.Create(new AdminOptions { AdminKey = key }));

    [Theory]
    [InlineData("the-admin-key", true)]
    [InlineData("the-admin-key ", false)]
    [InlineData("THE-ADMIN-KEY", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void Only_the_exact_key_verifies(string? candidate, bool expected) => Assert.Equal(expected, Verifier("the-admin-key").Verify(candidate));

    [Theory]
    [InlineData("/routes?x=1", "/routes?x=1")]
    [InlineData("/", "/")]
    [InlineData(null, "/")]
    [InlineData("", "/")]
    [InlineData("//evil.example", "/")]
    [InlineData("/\\evil.example", "/")]
    [InlineData("https://evil.example/", "/")]
    [InlineData("/login?returnUrl=/login", "/")]
    public void Return_urls_stay_on_this_site(string? returnUrl, string expected) => Assert.Equal(expected, ReturnUrls.Local(returnUrl));

    [Fact]
    public async Task Service_calls_carry_the_admin_key_as_a_bearer()
    {
        var inner = new Fakes.FakeHttpHandler().On("GET /api/health", "[]");
        using var handler = new AdminKeyHandler(Options.Create(new AdminOptions { AdminKey = "k-123" })) { InnerHandler = inner };
        using var client = new HttpClient(handler) { BaseAddress = new Uri("http://router") };

        await new Switchboard.Admin.Clients.RouterClient(client).GetHealthAsync(CancellationToken.None);

        Assert.Equal("Bearer k-123", Assert.Single(inner.Requests).Authorization);
    }

    [Fact]
    public void With_an_oidc_authority_the_policy_lets_forms_go_back_to_it()
    {
        var csp = Security.SecurityHeaders.ContentSecurityPolicy(new OidcOptions { Authority = "https://login.example.com/tenant/v2.0" });

        Assert.Contains("form-action 'self' https://login.example.com;", csp, StringComparison.Ordinal);
    }
}
