using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Switchboard.Admin.Auth;

/// <summary>Sign-out, and the OpenID Connect challenge when it is configured. Sign-in with the key is the /login page.</summary>
public static class AuthApi
{
    public static IEndpointRouteBuilder MapAuthApi(this IEndpointRouteBuilder app)
    {
        // A form post with an anti-forgery token: a cross-site page cannot sign an operator out.
        app.MapPost("/logout", SignOutAsync).WithMetadata(new Microsoft.AspNetCore.Mvc.SkipStatusCodePagesAttribute());
        if (app.ServiceProvider.GetRequiredService<IOptions<OidcOptions>>().Value.Enabled)
        {
            app.MapGet("/login/oidc", Challenge).AllowAnonymous();
        }
        return app;
    }

    private static async Task<IResult> SignOutAsync(HttpContext context, IAntiforgery antiforgery, IOptions<OidcOptions> oidc)
    {
        if (!await antiforgery.IsRequestValidAsync(context))
        {
            return TypedResults.BadRequest();
        }
        var viaOidc = context.User.FindFirstValue(AuthExtensions.MethodClaim) == OidcOptions.Scheme;
        await context.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        if (viaOidc && oidc.Value.Enabled)
        {
            return TypedResults.SignOut(new AuthenticationProperties { RedirectUri = "/login" }, [OidcOptions.Scheme]);
        }
        return TypedResults.LocalRedirect("/login");
    }

    private static ChallengeHttpResult Challenge(string? returnUrl) =>
        TypedResults.Challenge(new AuthenticationProperties { RedirectUri = ReturnUrls.Local(returnUrl) }, [OidcOptions.Scheme]);
}
