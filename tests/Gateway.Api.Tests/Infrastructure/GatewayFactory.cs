using System.ClientModel;
using System.ClientModel.Primitives;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using OpenAI;
using OpenAI.Chat;

namespace Switchboard.Gateway.Tests.Infrastructure;

/// <summary>
/// The gateway on real Kestrel (127.0.0.1, random port: real streaming timing and aborts), with its routing
/// document written to a temporary file passed as <c>--config</c>.
/// </summary>
public sealed class GatewayFactory : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> _settings;
    private readonly Action<IServiceCollection>? _services;

    public GatewayFactory(string routingJson, Dictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    {
        _services = services;
        ConfigPath = Path.Combine(Path.GetTempPath(), $"switchboard-{Guid.NewGuid():N}.json");
        File.WriteAllText(ConfigPath, routingJson);
        _settings = settings ?? [];
        UseKestrel(0);
    }

    public string ConfigPath { get; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.UseSetting("config", ConfigPath);
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        foreach (var (k, v) in _settings)
        {
            builder.UseSetting(k, v);
        }
        if (_services is not null)
        {
            builder.ConfigureTestServices(_services);
        }
    }

    /// <summary>A plain HTTP client to the gateway.</summary>
    public HttpClient Http()
    {
        StartServer();
        var client = CreateClient();
        client.Timeout = TimeSpan.FromSeconds(60);
        return client;
    }

    /// <summary>The official OpenAI SDK pointed at the gateway (only its base URL and key change).</summary>
    public ChatClient Chat(string model, string key = "none") => new(model, new ApiKeyCredential(key), new OpenAIClientOptions
    {
        Endpoint = new Uri(Http().BaseAddress!, "/v1"),
        NetworkTimeout = TimeSpan.FromSeconds(60),
        RetryPolicy = new ClientRetryPolicy(0),
    });

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        try
        {
            File.Delete(ConfigPath);
        }
        catch (IOException)
        {
        }
    }
}
