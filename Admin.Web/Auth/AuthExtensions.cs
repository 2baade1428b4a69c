using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.Extensions.Options;

namespace Switchboard.Admin.Auth;

/// <summary>Cookie session from the admin key (or OpenID Connect), required by every page and the Blazor circuit.</summary>
public static class AuthExtensions
{
    /// <summary>Claim recording how the operator signed in: "admin-key" or "oidc".</summary>
    public const string MethodClaim = "switchboard:signin";

    public static IHostApplicationBuilder AddAdminAuthentication(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<AdminOptions>().BindConfiguration(AdminOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<OidcOptions>().BindConfiguration(OidcOptions.Section);
        builder.Services.AddSingleton<AdminKeyVerifier>();
        builder.Services.AddOptions<SignInThrottleOptions>().BindConfiguration(SignInThrottleOptions.Section);
        builder.Services.AddSingleton<SignInThrottle>();

        var oidc = builder.Configuration.GetSection(OidcOptions.Section).Get<OidcOptions>() ?? new OidcOptions();
        var auth = builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme)
            .AddCookie(o =>
            {
                o.LoginPath = "/login";
                o.LogoutPath = "/logout";
                o.AccessDeniedPath = "/login";
                o.ReturnUrlParameter = "returnUrl";
                o.Cookie.Name = "switchboard.admin";
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Strict;
                o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.ExpireTimeSpan = TimeSpan.FromHours(8);
                o.SlidingExpiration = true;
            });

        if (oidc.Enabled)
        {
            auth.AddOpenIdConnect(OidcOptions.Scheme, o =>
            {
                o.Authority = oidc.Authority;
                o.ClientId = oidc.ClientId;
                o.ClientSecret = oidc.ClientSecret;
                o.ResponseType = "code";
                o.UsePkce = true;
                o.SaveTokens = false;
                o.MapInboundClaims = false;
                o.SignInScheme = CookieAuthenticationDefaults.AuthenticationScheme;
                o.RequireHttpsMetadata = !builder.Environment.IsDevelopment();
                o.Events.OnTokenValidated = context =>
                {
                    var principal = context.Principal!;
                    if (oidc.RequiredRole is { Length: > 0 } role
                        && !principal.HasClaim("roles", role) && !principal.HasClaim("role", role))
                    {
                        context.Fail($"the signed-in user does not have the role '{role}'");
                        return Task.CompletedTask;
                    }
                    ((ClaimsIdentity)principal.Identity!).AddClaim(new Claim(MethodClaim, OidcOptions.Scheme));
                    return Task.CompletedTask;
                };
            });
        }

        builder.Services.AddAuthorization();
        builder.Services.AddCascadingAuthenticationState();
        return builder;
    }

    /// <summary>The principal of an operator who typed the admin key.</summary>
    public static ClaimsPrincipal AdminKeyPrincipal() =>
        new(new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, "admin"), new Claim(MethodClaim, "admin-key")],
            CookieAuthenticationDefaults.AuthenticationScheme));
}
