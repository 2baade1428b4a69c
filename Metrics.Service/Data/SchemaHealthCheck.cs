using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Switchboard.Metrics.Data;

/// <summary>Not ready until the migrations are applied (the API would fail on missing tables before).</summary>
internal sealed class SchemaHealthCheck(DatabaseMigrator migrator) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(migrator.IsReady ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("metricsdb migrations not applied yet"));
}
