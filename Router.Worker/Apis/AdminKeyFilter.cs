using System.Security.Cryptography;
using System.Text;

namespace Switchboard.Router.Apis;

/// <summary>
/// Every <c>/api</c> call needs <c>Authorization: Bearer &lt;Switchboard:AdminKey&gt;</c>. Both sides are hashed
/// and compared in constant time, so neither the length nor a prefix of the key leaks through timing. With no
/// admin key configured every call is refused.
/// </summary>
internal sealed class AdminKeyFilter(IConfiguration configuration) : IEndpointFilter
{
    public const string ConfigKey = "Switchboard:AdminKey";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var expected = configuration[ConfigKey];
        var header = context.HttpContext.Request.Headers.Authorization.ToString();
        var presented = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : null;
        if (string.IsNullOrEmpty(expected) || string.IsNullOrEmpty(presented)
            || !CryptographicOperations.FixedTimeEquals(
                SHA256.HashData(Encoding.UTF8.GetBytes(expected)), SHA256.HashData(Encoding.UTF8.GetBytes(presented))))
        {
            context.HttpContext.Response.Headers.WWWAuthenticate = "Bearer";
            return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized",
                detail: "An admin key is required: Authorization: Bearer <Switchboard:AdminKey>.");
        }
        return await next(context);
    }
}
