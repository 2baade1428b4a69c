using Microsoft.Extensions.Options;
using Npgsql;
using Switchboard.Metrics.Extensions;

namespace Switchboard.Metrics.Data;

/// <summary>
/// Deletes raw request log rows older than <see cref="MetricsOptions.RawRetention"/> (30 days) and rollups older than
/// <see cref="MetricsOptions.RollupRetention"/> (13 months), in bounded chunks so ingestion never waits long on it.
/// </summary>
internal sealed partial class RetentionService(
    MetricsDatabase database,
    DatabaseMigrator migrator,
    IOptions<MetricsOptions> options,
    TimeProvider time,
    ILogger<RetentionService> logger) : BackgroundService
{
    private const int Chunk = 20_000;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await migrator.Ready.WaitAsync(stoppingToken);
        using var timer = new PeriodicTimer(options.Value.RetentionInterval, time);
        do
        {
            try
            {
                await RunOnceAsync(stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogFailed(logger, ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    public async Task<long> RunOnceAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var deleted = await DeleteOlderAsync("request_log", "started_at", now - options.Value.RawRetention, cancellationToken);
        deleted += await DeleteOlderAsync("rollup_minute", "bucket", now - options.Value.RollupRetention, cancellationToken);
        deleted += await DeleteOlderAsync("rollup_hour", "bucket", now - options.Value.RollupRetention, cancellationToken);
        deleted += await DeleteOlderAsync("rollup_dim_minute", "bucket", now - options.Value.RollupRetention, cancellationToken);
        deleted += await DeleteOlderAsync("rollup_dim_hour", "bucket", now - options.Value.RollupRetention, cancellationToken);
        if (deleted > 0)
        {
            LogDeleted(logger, deleted);
        }
        return deleted;
    }

    private async Task<long> DeleteOlderAsync(string table, string column, DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        long total = 0;
        while (true)
        {
            await using var lease = await database.OpenAsync(cancellationToken);
            await using var command = new NpgsqlCommand(
                $"DELETE FROM {table} WHERE ctid = ANY(ARRAY(SELECT ctid FROM {table} WHERE {column} < @cutoff LIMIT {Chunk}))",
                lease.Connection);
            command.Parameters.AddWithValue("cutoff", cutoff);
            var n = await command.ExecuteNonQueryAsync(cancellationToken);
            total += n;
            if (n < Chunk)
            {
                return total;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention deleted {Rows} rows")]
    private static partial void LogDeleted(ILogger logger, long rows);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Retention failed; retrying at the next interval")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
