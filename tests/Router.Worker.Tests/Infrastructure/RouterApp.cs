using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Switchboard.Router.Tests.Infrastructure;

/// <summary>Router.Worker in process against real Redis and PostgreSQL, with short lease timings.</summary>
public sealed class RouterApp(string redis, string controlDb, string routingJson, IReadOnlyDictionary<string, string?>? settings = null)
    : WebApplicationFactory<Program>
{
    public const string AdminKey = "test-admin-key-0123456789";

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.ConfigureLogging(l => l.SetMinimumLevel(LogLevel.Warning));
        builder.UseSetting("ConnectionStrings:redis", redis);
        builder.UseSetting("ConnectionStrings:controldb", controlDb);
        builder.UseSetting("Switchboard:AdminKey", AdminKey);
        builder.UseSetting("Switchboard:RoutingJson", routingJson);
        builder.UseSetting("Switchboard:Router:LeaseRenewInterval", "00:00:00.100");
        builder.UseSetting("Switchboard:Router:LeaseTtl", "00:00:01");
        builder.UseSetting("Switchboard:Router:StreamPollDelay", "00:00:00.010");
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            builder.UseSetting(key, value);
        }
    }

    public HttpClient Admin()
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        return client;
    }

    internal T Get<T>() where T : notnull => Services.GetRequiredService<T>();

    /// <summary>Waits (bounded) until this instance holds the leader lease.</summary>
    internal async Task WaitForLeadershipAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await Get<Switchboard.Router.Leadership.LeaderLease>().WaitForLeadershipAsync(cts.Token);
    }

    /// <summary>A routing document with one OpenAI-compatible provider; probes and canaries off unless asked.</summary>
    public static string Document(string baseUrl, string apiKey = "sk-test", string? monitoring = null) => $$"""
        {
          "providers": { "fake": { "type": "openai", "baseUrl": "{{baseUrl}}", "apiKey": "{{apiKey}}" } },
          "routes": { "chat": { "targets": [ { "provider": "fake", "model": "gpt-4o-2024-08-06" } ] } },
          "monitoring": {{monitoring ?? """{ "probeIntervalSeconds": 0, "canaryIntervalSeconds": 0 }"""}}
        }
        """;
}
