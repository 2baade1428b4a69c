using System.Security.Cryptography;
using System.Text;

namespace Switchboard.Metrics.Apis;

/// <summary>
/// Every /api call needs <c>Authorization: Bearer &lt;Switchboard:AdminKey&gt;</c>. The SHA-256 of what was sent is
/// compared in constant time with the SHA-256 of the configured key (equal lengths, so no length leak). With no admin
/// key configured every call is refused: the service never serves its data open by accident.
/// </summary>
internal sealed class AdminKeyFilter(IConfiguration configuration) : IEndpointFilter
{
    public const string ConfigKey = "Switchboard:AdminKey";

    private readonly byte[]? _expected = configuration[ConfigKey] is { Length: > 0 } key
        ? SHA256.HashData(Encoding.UTF8.GetBytes(key))
        : null;

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        if (_expected is null)
        {
            return ApiErrors.Unauthorized($"No admin key is configured ({ConfigKey}).");
        }
        var header = context.HttpContext.Request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            context.HttpContext.Response.Headers.WWWAuthenticate = "Bearer";
            return ApiErrors.Unauthorized("Missing admin key: send Authorization: Bearer <admin key>.");
        }
        var sent = SHA256.HashData(Encoding.UTF8.GetBytes(header[scheme.Length..].Trim()));
        if (!CryptographicOperations.FixedTimeEquals(sent, _expected))
        {
            context.HttpContext.Response.Headers.WWWAuthenticate = "Bearer";
            return ApiErrors.Unauthorized("Invalid admin key.");
        }
        return await next(context);
    }
}
