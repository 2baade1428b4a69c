using System.Net;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging.Abstractions;
using Switchboard.Metrics.Apis;
using Switchboard.Metrics.Data;
using Switchboard.Metrics.Tests.Infrastructure;
using Switchboard.Testing;

namespace Switchboard.Metrics.Tests.Apis;

/// <summary>
/// Start-up (migrations, query warm-up) is an expected state: Degraded, so it is not logged as a failure, and still not
/// ready (/health 503). A migration that fails is a failure: Unhealthy, with the reason.
/// </summary>
public sealed class ReadinessTests(MetricsServiceFixture fixture) : IClassFixture<MetricsServiceFixture>
{
    private static readonly HealthCheckContext Context = new();

    [Fact]
    public async Task Migrating_and_warming_up_are_degraded_until_done_then_healthy()
    {
        // Fresh, not yet started instances on the fixture's (migrated) database: the state of a service just started.
        var services = fixture.Factory.Services;
        var migrator = ActivatorUtilities.CreateInstance<DatabaseMigrator>(services);
        var warmup = ActivatorUtilities.CreateInstance<QueryWarmup>(services, migrator);
        var schema = new SchemaHealthCheck(migrator);
        var warm = new QueryWarmupHealthCheck(warmup);

        var before = await schema.CheckHealthAsync(Context);
        Assert.Equal(HealthStatus.Degraded, before.Status);
        Assert.Equal(SchemaHealthCheck.Applying, before.Description);
        var warming = await warm.CheckHealthAsync(Context);
        Assert.Equal(HealthStatus.Degraded, warming.Status);
        Assert.Equal(QueryWarmupHealthCheck.WarmingUp, warming.Description);

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await migrator.StartAsync(timeout.Token);
        await warmup.StartAsync(timeout.Token);
        try
        {
            await Wait.UntilAsync(async () => (await schema.CheckHealthAsync(Context)).Status == HealthStatus.Healthy, "the migrations");
            await Wait.UntilAsync(async () => (await warm.CheckHealthAsync(Context)).Status == HealthStatus.Healthy, "the warm-up");
        }
        finally
        {
            await warmup.StopAsync(CancellationToken.None);
            await migrator.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task A_failing_migration_is_unhealthy_with_its_reason()
    {
        // A database nothing listens for: the attempt fails at once (connection refused).
        var unreachable = $"Host=127.0.0.1;Port={FreePort.Next()};Username=u;Password=p;Database=d;Timeout=2";
        await using var provider = new ServiceCollection()
            .AddDbContext<MetricsDbContext>(o => o.UseNpgsql(unreachable))
            .BuildServiceProvider();
        var migrator = new DatabaseMigrator(provider.GetRequiredService<IServiceScopeFactory>(), TimeProvider.System,
            NullLogger<DatabaseMigrator>.Instance);
        var schema = new SchemaHealthCheck(migrator);

        await migrator.StartAsync(CancellationToken.None);
        try
        {
            await Wait.UntilAsync(async () => (await schema.CheckHealthAsync(Context)).Status == HealthStatus.Unhealthy, "the first failed attempt");
            var result = await schema.CheckHealthAsync(Context);
            Assert.StartsWith("metricsdb migrations not applied yet: ", result.Description, StringComparison.Ordinal);
            Assert.NotNull(migrator.LastFailure);
            Assert.False(migrator.IsReady);
        }
        finally
        {
            await migrator.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task Health_is_503_while_a_check_is_degraded_and_alive_stays_200()
    {
        await using var factory = fixture.Factory.WithWebHostBuilder(web => web.ConfigureTestServices(s =>
            s.AddHealthChecks().AddCheck("test-degraded", () => HealthCheckResult.Degraded("test"), tags: ["ready"])));
        using var client = factory.CreateClient();
        // Once the service's own checks pass, only the degraded one is left to answer for.
        var health = factory.Services.GetRequiredService<HealthCheckService>();
        await Wait.UntilAsync(async () => (await health.CheckHealthAsync(r => r.Name != "test-degraded")).Status == HealthStatus.Healthy,
            "the service's own checks");

        using var ready = await client.GetAsync("/health");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Equal("Degraded", await ready.Content.ReadAsStringAsync());
        using var alive = await client.GetAsync("/alive");
        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
    }
}
