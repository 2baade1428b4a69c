using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Switchboard.Metrics.Data;

/// <summary>
/// Not ready until the migrations are applied (the API would fail on missing tables before). While the first attempt
/// runs that is start-up, Degraded (503 on <c>/health</c> all the same); once an attempt has failed (PostgreSQL away,
/// say) it is a failure, Unhealthy, with the reason.
/// </summary>
internal sealed class SchemaHealthCheck(DatabaseMigrator migrator) : IHealthCheck
{
    public const string Applying = "applying the metricsdb migrations";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(
            migrator.IsReady ? HealthCheckResult.Healthy()
            : migrator.LastFailure is { } failure ? HealthCheckResult.Unhealthy($"metricsdb migrations not applied yet: {failure}")
            : HealthCheckResult.Degraded(Applying));
}
