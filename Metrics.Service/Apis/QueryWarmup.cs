using System.Text.Json;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Switchboard.Metrics.Cost;
using Switchboard.Metrics.Data;
using Switchboard.Metrics.Rollups;
using Switchboard.Metrics.Sla;
using Switchboard.Metrics.Slo;
using Switchboard.Metrics.Timeseries;

namespace Switchboard.Metrics.Apis;

/// <summary>
/// Runs each query path once against the real tables as soon as the schema is there, so the first operator's
/// <c>/api/sla</c> is not the one paying the JIT, Npgsql's type handlers, the JSON contracts and cold PostgreSQL
/// caches: that first query took 837 ms where the next took 87. Readiness waits for it (<see cref="QueryWarmupHealthCheck"/>),
/// at most <see cref="MaxWait"/>: a failed or slow warm-up only costs the first queries their head start.
/// </summary>
internal sealed partial class QueryWarmup(
    DatabaseMigrator migrator,
    SlaReport sla,
    CostReport cost,
    TimeseriesQuery timeseries,
    SloReport slo,
    IOptions<JsonOptions> json,
    TimeProvider time,
    ILogger<QueryWarmup> logger) : BackgroundService
{
    public static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(30);

    private volatile bool _finished;
    private long _migratedAt;

    /// <summary>True once warmed (or failed, or given up waiting for): nothing more to wait for.</summary>
    public bool IsDone => _finished
                          || (Interlocked.Read(ref _migratedAt) is var at && at != 0 && time.GetElapsedTime(at) > MaxWait);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await WarmAsync(stoppingToken);
        }
        finally
        {
            _finished = true;
        }
    }

    private async Task WarmAsync(CancellationToken stoppingToken)
    {
        await migrator.Ready.WaitAsync(stoppingToken);
        var started = time.GetTimestamp();
        Interlocked.Exchange(ref _migratedAt, started);
        // The window an operator asks first: the last 24 h to the second, so the raw edges are read too.
        var to = time.GetUtcNow();
        var from = to.AddHours(-24);
        var options = json.Value.SerializerOptions;
        try
        {
            foreach (var by in Enum.GetValues<GroupBy>())
            {
                Serialize(await sla.GetAsync(from, to, by, new RollupFilter(), stoppingToken), options);
            }
            Serialize(await sla.GetAsync(from, to, GroupBy.Route, new RollupFilter(Provider: ""), stoppingToken), options);
            Serialize(await cost.GetAsync(from, to, GroupBy.Key, new RollupFilter(Route: ""), stoppingToken), options);
            Serialize(await timeseries.GetAsync(from, to, TimeSpan.FromMinutes(5), GroupBy.Provider, new RollupFilter(), stoppingToken), options);
            Serialize(await slo.GetAsync(stoppingToken), options);
            LogWarmed(logger, time.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (Exception ex) when (!stoppingToken.IsCancellationRequested && ex is not OperationCanceledException)
        {
            // Only a head start: a failure here (PostgreSQL away) costs the first user query its warm-up, nothing else.
            LogWarmupFailed(logger, ex);
        }
    }

    private static void Serialize<T>(T value, JsonSerializerOptions options) => JsonSerializer.SerializeToUtf8Bytes(value, options);

    [LoggerMessage(Level = LogLevel.Information, Message = "Query paths warmed in {ElapsedMs:F0} ms")]
    private static partial void LogWarmed(ILogger logger, double elapsedMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Warming the query paths failed; the first queries will be slower")]
    private static partial void LogWarmupFailed(ILogger logger, Exception exception);
}

/// <summary>
/// Ready once the query paths are warm (see <see cref="QueryWarmup"/>). Warming up is an expected state, not a failure:
/// Degraded (which <c>/health</c> answers with 503 in this service, see <c>AddApplicationServices</c>), so the health
/// check service logs it as a warning that says "warming up", not as an error.
/// </summary>
internal sealed class QueryWarmupHealthCheck(QueryWarmup warmup) : IHealthCheck
{
    public const string WarmingUp = "warming up the query paths";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(warmup.IsDone ? HealthCheckResult.Healthy() : HealthCheckResult.Degraded(WarmingUp));
}
