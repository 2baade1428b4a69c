using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// The admin APIs of Router.Worker and Metrics.Service need <c>Authorization: Bearer &lt;Switchboard:AdminKey&gt;</c>
/// (CONTRACT.md section 8). Both sides are hashed and compared in constant time, so neither the length nor a
/// prefix of the key leaks through timing. With no admin key configured every call is refused: a service never
/// serves its data open by accident. Refusals are 401 in the OpenAI error shape every Switchboard API uses.
/// </summary>
public sealed class AdminKeyFilter(IConfiguration configuration) : IEndpointFilter
{
    /// <summary>The configuration key of the admin key (environment <c>Switchboard__AdminKey</c>).</summary>
    public const string ConfigKey = "Switchboard:AdminKey";

    /// <inheritdoc />
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        // Read per call (admin traffic is rare) so a rotated key in configuration applies without a restart.
        var expected = configuration[ConfigKey];
        if (string.IsNullOrEmpty(expected))
        {
            return Refuse(context.HttpContext, $"No admin key is configured ({ConfigKey}).");
        }
        var header = context.HttpContext.Request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            return Refuse(context.HttpContext, "Missing admin key: send Authorization: Bearer <admin key>.");
        }
        var sent = SHA256.HashData(Encoding.UTF8.GetBytes(header[scheme.Length..].Trim()));
        if (!CryptographicOperations.FixedTimeEquals(sent, SHA256.HashData(Encoding.UTF8.GetBytes(expected))))
        {
            return Refuse(context.HttpContext, "Invalid admin key.");
        }
        return await next(context).ConfigureAwait(false);
    }

    private static IResult Refuse(HttpContext http, string message)
    {
        http.Response.Headers.WWWAuthenticate = "Bearer";
        return TypedResults.Json(new AdminKeyError(new AdminKeyErrorDetail(message, "authentication_error", null, "invalid_admin_key")),
            statusCode: StatusCodes.Status401Unauthorized);
    }
}

/// <summary>OpenAI-shaped error body.</summary>
public sealed record AdminKeyError(AdminKeyErrorDetail Error);

/// <summary>OpenAI-shaped error detail.</summary>
public sealed record AdminKeyErrorDetail(string Message, string Type, string? Param, string? Code);
