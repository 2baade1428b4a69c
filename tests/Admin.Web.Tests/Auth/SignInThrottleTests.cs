using System.Net;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Options;
using Switchboard.Admin.Auth;
using Switchboard.Admin.Tests.Fakes;

namespace Switchboard.Admin.Tests.Auth;

/// <summary>Guessing the admin key: failed sign-ins per client address are limited, then answered 429.</summary>
public sealed class SignInThrottleTests : IAsyncLifetime
{
    private const string AdminKey = "throttle-admin-key-0123456789abcdef";
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(2);
    private FakeBackend _backend = default!;
    private AdminWebFactory _factory = default!;

    public async Task InitializeAsync()
    {
        _backend = await FakeBackend.StartAsync(AdminKey, DateTimeOffset.UtcNow);
        _factory = new AdminWebFactory(_backend, new Dictionary<string, string>
        {
            ["Switchboard:SignIn:MaxFailures"] = "3",
            ["Switchboard:SignIn:Window"] = Window.ToString(),
        });
    }

    public async Task DisposeAsync()
    {
        await _factory.DisposeAsync();
        await _backend.DisposeAsync();
    }

    private HttpClient Client() => _factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });

    [Fact]
    public async Task After_the_allowed_failures_even_the_right_key_gets_429_until_the_window_ends()
    {
        using var client = Client();
        for (var i = 0; i < 3; i++)
        {
            using var wrong = await SignInTests.PostLoginAsync(client, $"guess-{i}", "/");
            Assert.Equal(HttpStatusCode.OK, wrong.StatusCode);
            Assert.Contains("That is not the admin key.", await wrong.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using var fourth = await SignInTests.PostLoginAsync(client, "guess-3", "/");
        var html = await fourth.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.TooManyRequests, fourth.StatusCode);
        Assert.Contains("Too many failed sign-ins from your address. Wait up to 2 seconds and try again.", html, StringComparison.Ordinal);

        // The right key is not even checked while locked out: no cookie.
        using var right = await SignInTests.PostLoginAsync(client, AdminKey, "/");
        Assert.Equal(HttpStatusCode.TooManyRequests, right.StatusCode);
        Assert.False(right.Headers.TryGetValues("Set-Cookie", out var cookies) && cookies.Any(c => c.StartsWith("switchboard.admin=", StringComparison.Ordinal)));

        await Task.Delay(Window + TimeSpan.FromMilliseconds(500));
        using var later = await SignInTests.PostLoginAsync(client, AdminKey, "/routes");
        Assert.Equal(HttpStatusCode.Redirect, later.StatusCode);
        Assert.Equal("/routes", later.Headers.Location!.OriginalString.Replace("http://localhost", "", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Successful_sign_ins_spend_nothing()
    {
        using var client = Client();
        for (var i = 0; i < 6; i++)
        {
            using var right = await SignInTests.PostLoginAsync(client, AdminKey, "/");
            Assert.Equal(HttpStatusCode.Redirect, right.StatusCode);
        }
    }

    [Fact]
    public void Each_client_address_has_its_own_allowance()
    {
        using var throttle = new SignInThrottle(Options.Create(new SignInThrottleOptions { MaxFailures = 2, Window = TimeSpan.FromMinutes(5) }));

        Assert.True(throttle.RecordFailure("10.0.0.1"));
        Assert.False(throttle.IsLockedOut("10.0.0.1"));
        Assert.True(throttle.RecordFailure("10.0.0.1"));
        Assert.True(throttle.IsLockedOut("10.0.0.1"));
        Assert.False(throttle.RecordFailure("10.0.0.1"));

        Assert.False(throttle.IsLockedOut("10.0.0.2"));
        Assert.True(throttle.RecordFailure("10.0.0.2"));
        Assert.Equal("Too many failed sign-ins from your address. Wait up to 5 minutes and try again.", throttle.LockedOutMessage);
    }
}
