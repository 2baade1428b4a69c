using Microsoft.Extensions.Options;
using Switchboard.Admin.Auth;

namespace Switchboard.Admin.Security;

/// <summary>
/// Response headers for a Blazor Server app: scripts only from this origin (no CDN, no inline script), inline
/// styles allowed because MudBlazor's theme and Plotly's charts write them, the circuit's WebSocket to this
/// origin only, and no framing.
/// </summary>
public static class SecurityHeaders
{
    public static string ContentSecurityPolicy(OidcOptions oidc)
    {
        // Chrome applies form-action to the redirect after a form post: sign-out redirects to the identity provider.
        var formAction = oidc.Enabled && Uri.TryCreate(oidc.Authority, UriKind.Absolute, out var authority)
            ? $"'self' {authority.GetLeftPart(UriPartial.Authority)}"
            : "'self'";
        return "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
               $"font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action {formAction}; frame-ancestors 'none'";
    }

    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app)
    {
        var csp = ContentSecurityPolicy(app.ApplicationServices.GetRequiredService<IOptions<OidcOptions>>().Value);
        return app.Use((context, next) =>
        {
            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy = csp;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers["Referrer-Policy"] = "no-referrer";
            headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()";
            headers["Cross-Origin-Opener-Policy"] = "same-origin";
            return next(context);
        });
    }
}
