using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Switchboard.Admin.Tests.Fakes;

/// <summary>Admin.Web as Program.cs builds it, with service discovery pointed at a <see cref="FakeBackend"/>.</summary>
public sealed class AdminWebFactory(FakeBackend backend) : WebApplicationFactory<Program>
{
    public const string GatewayUrl = "http://127.0.0.1:18080";

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.UseSetting("Switchboard:AdminKey", backend.AdminKey);
        builder.UseSetting("services:metrics:http:0", backend.Url);
        builder.UseSetting("services:router:http:0", backend.Url);
        builder.UseSetting("services:gateway:http:0", GatewayUrl);
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
    }

    /// <summary>Starts Admin.Web on a real loopback socket (for a browser) and returns its address.</summary>
    public string StartKestrel()
    {
        UseKestrel(o => o.Listen(System.Net.IPAddress.Loopback, 0));
        StartServer();
        return Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
    }
}
