using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Switchboard.Admin.Tests.Fakes;

/// <summary>
/// Admin.Web as Program.cs builds it, its service discovery pointed at the given Metrics.Service, Router.Worker and
/// gateway: a <see cref="FakeBackend"/> or the real services of the stack.
/// </summary>
public sealed class AdminWebFactory(string adminKey, string metricsUrl, string routerUrl, string gatewayUrl, IReadOnlyDictionary<string, string>? settings = null)
    : WebApplicationFactory<Program>
{
    public const string GatewayUrl = "http://127.0.0.1:18080";

    public AdminWebFactory(FakeBackend backend, IReadOnlyDictionary<string, string>? settings = null)
        : this(backend.AdminKey, backend.Url, backend.Url, GatewayUrl, settings)
    {
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.UseSetting("Switchboard:AdminKey", adminKey);
        builder.UseSetting("services:metrics:http:0", metricsUrl);
        builder.UseSetting("services:router:http:0", routerUrl);
        builder.UseSetting("services:gateway:http:0", gatewayUrl);
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            builder.UseSetting(key, value);
        }
    }

    /// <summary>Starts Admin.Web on a real loopback socket (for a browser) and returns its address.</summary>
    public string StartKestrel()
    {
        UseKestrel(o => o.Listen(System.Net.IPAddress.Loopback, 0));
        StartServer();
        return Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
    }
}
