using System.Net.Http.Json;
using Switchboard.Router.Alerts;
using Switchboard.Router.Health;
using Switchboard.Router.Quality;
using Switchboard.Router.Tests.Infrastructure;

namespace Switchboard.Router.Tests.Quality;

/// <summary>A deployment whose canary answers go wrong raises a stored alert and is demoted; drift raises its own.</summary>
public sealed class CanaryRegressionTests(Servers servers) : IClassFixture<Servers>, IAsyncLifetime
{
    private FakeProvider _provider = null!;
    private RouterApp _app = null!;

    public async Task InitializeAsync()
    {
        await servers.Redis.FlushAsync();
        _provider = await FakeProvider.StartAsync();
        _provider.Answer = "The capital of France is Paris.";
        _app = new RouterApp(servers.Redis.ConnectionString, servers.Postgres.ConnectionString,
            RouterApp.Document(_provider.BaseUrl, monitoring: """
                {
                  "probeIntervalSeconds": 0, "canaryIntervalSeconds": 0, "alertBelowScore": 0.8, "demoteOnAlert": true,
                  "canaries": [ { "name": "capital", "prompt": "What is the capital of France?", "match": "contains", "expected": "Paris" } ]
                }
                """));
        await _app.WaitForLeadershipAsync();
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _provider.DisposeAsync();
    }

    [Fact]
    public async Task CanaryRegression_RaisesAStoredAlert_AndDemotesTheDeployment()
    {
        var runner = _app.Get<CanaryRunner>();
        var deployment = new DeploymentKey("fake", "gpt-4o-2024-08-06");
        for (var i = 0; i < 5; i++)
        {
            await runner.RunCanariesAsync(CancellationToken.None);
        }
        await runner.CheckAsync(CancellationToken.None);
        using var admin = _app.Admin();
        Assert.DoesNotContain(await admin.GetFromJsonAsync<List<Alert>>("/api/alerts") ?? [], a => a.Kind == AlertKinds.Quality);
        Assert.Equal(1.0, _app.Get<QualityModel>().Signals(deployment).Score);

        _provider.Answer = "I am not sure.";
        for (var i = 0; i < 5; i++)
        {
            await runner.RunCanariesAsync(CancellationToken.None);
        }
        await runner.CheckAsync(CancellationToken.None);

        var alerts = await admin.GetFromJsonAsync<List<Alert>>("/api/alerts") ?? [];
        var alert = Assert.Single(alerts, a => a.Kind == AlertKinds.Quality);
        Assert.Equal("fake", alert.Provider);
        Assert.Contains("0.50", alert.Message, StringComparison.Ordinal);
        var health = _app.Get<HealthModel>().Evaluate([deployment]).Single();
        Assert.True(health.Demoted);
        Assert.Equal(0.5, health.QualityScore);
        // The snapshot carries the canary counts behind the score (Metrics' /api/cascade shows them per tier).
        Assert.Equal((10, 5), (health.CanaryRuns, health.CanaryPassed));

        // Acknowledged alerts stay listed with who acknowledged them.
        (await admin.PostAsync($"/api/alerts/{alert.Id}/ack", null)).EnsureSuccessStatusCode();
        var acked = (await admin.GetFromJsonAsync<List<Alert>>("/api/alerts"))!.Single(a => a.Id == alert.Id);
        Assert.NotNull(acked.AcknowledgedAt);
    }

    [Fact]
    public async Task UpstreamReportingAnotherModel_RaisesADriftAlert()
    {
        _provider.ReportedModel = "gpt-4o-2024-11-20";
        var runner = _app.Get<CanaryRunner>();

        await runner.RunCanariesAsync(CancellationToken.None);
        await runner.CheckAsync(CancellationToken.None);

        using var admin = _app.Admin();
        var alerts = await admin.GetFromJsonAsync<List<Alert>>("/api/alerts") ?? [];
        Assert.Contains(alerts, a => a.Kind == AlertKinds.Drift && a.Message.Contains("gpt-4o-2024-11-20", StringComparison.Ordinal));
    }
}
