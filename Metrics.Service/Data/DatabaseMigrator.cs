using Microsoft.EntityFrameworkCore;

namespace Switchboard.Metrics.Data;

/// <summary>
/// Applies the EF Core migrations at start-up, retrying while PostgreSQL is not there yet, so the service starts in
/// any order with its database. Ingestion, retention and SLO evaluation wait for <see cref="Ready"/>.
/// </summary>
internal sealed partial class DatabaseMigrator(IServiceScopeFactory scopes, TimeProvider time, ILogger<DatabaseMigrator> logger)
    : BackgroundService
{
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Ready => _ready.Task;

    public bool IsReady => _ready.Task.IsCompletedSuccessfully;

    /// <summary>Why the last attempt failed (null before the first attempt ends and once migrated).</summary>
    public string? LastFailure { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromMilliseconds(250);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<MetricsDbContext>();
                await db.Database.MigrateAsync(stoppingToken);
                LogMigrated(logger);
                LastFailure = null;
                _ready.TrySetResult();
                return;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LastFailure = ex.Message;
                LogMigrationFailed(logger, delay.TotalSeconds, ex);
                await Task.Delay(delay, time, stoppingToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
            }
        }
        _ready.TrySetCanceled(stoppingToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "metricsdb schema is up to date")]
    private static partial void LogMigrated(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Migrating metricsdb failed; retrying in {DelaySeconds} s")]
    private static partial void LogMigrationFailed(ILogger logger, double delaySeconds, Exception exception);
}
