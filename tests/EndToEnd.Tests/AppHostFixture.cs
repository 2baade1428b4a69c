using Aspire.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Switchboard.Testing;

namespace Switchboard.EndToEnd.Tests;

/// <summary>
/// The whole app host in local-servers mode (as on a machine without Docker): a Redis of its own and two
/// throwaway PostgreSQL databases, every project started by DCP, shared by the tests of the collection.
/// </summary>
public sealed class AppHostFixture : IAsyncLifetime
{
    public const string AdminKey = "e2e-admin-key-0123456789abcdef";
    public static readonly string[] Resources = ["simulator", "gateway", "router", "metrics", "admin"];

    private readonly RedisServer _redis = new();
    private readonly PostgresDatabase _metricsDb = new();
    private readonly PostgresDatabase _controlDb = new();

    public DistributedApplication App { get; private set; } = null!;
    public RedisServer Redis => _redis;
    public string MetricsDb => _metricsDb.ConnectionString;

    public async Task InitializeAsync()
    {
        await Task.WhenAll(_redis.InitializeAsync(), _metricsDb.InitializeAsync(), _controlDb.InitializeAsync());
        // Generous: on a 2-core machine shared with parallel builds, five .NET services took over 4 minutes to start.
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
        [
            "Switchboard:Infrastructure=local",
            $"ConnectionStrings:redis={_redis.ConnectionString}",
            $"ConnectionStrings:metricsdb={_metricsDb.ConnectionString}",
            $"ConnectionStrings:controldb={_controlDb.ConnectionString}",
            $"Parameters:admin-key={AdminKey}",
        ], cts.Token);
        builder.Services.AddLogging(l => l.SetMinimumLevel(LogLevel.Warning));
        App = await builder.BuildAsync(cts.Token);
        await App.StartAsync(cts.Token);
        await Task.WhenAll(Resources.Select(r => App.ResourceNotifications.WaitForResourceHealthyAsync(r, cts.Token)));
    }

    public async Task DisposeAsync()
    {
        if (App is not null)
        {
            await App.DisposeAsync();
        }
        await _controlDb.DisposeAsync();
        await _metricsDb.DisposeAsync();
        await _redis.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class AppHostCollection : ICollectionFixture<AppHostFixture>
{
    public const string Name = "apphost";
}
