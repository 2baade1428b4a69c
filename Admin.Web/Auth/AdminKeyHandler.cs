using System.Net.Http.Headers;
using Microsoft.Extensions.Options;

namespace Switchboard.Admin.Auth;

/// <summary>Sends <c>Authorization: Bearer &lt;admin key&gt;</c> to Metrics.Service and Router.Worker.</summary>
public sealed class AdminKeyHandler(IOptions<AdminOptions> options) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", options.Value.AdminKey);
        return base.SendAsync(request, cancellationToken);
    }
}
