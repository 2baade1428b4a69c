using System.Text.Json;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Switchboard.Contracts.Outcomes;
using Switchboard.Contracts.Redis;
using Switchboard.Router.Extensions;
using Switchboard.Router.Leadership;
using Switchboard.Router.Quality;
using Switchboard.Router.Snapshots;

namespace Switchboard.Router.Health;

/// <summary>
/// Reads the <c>outcomes</c> stream in consumer group <c>router</c> and feeds the health and quality models.
/// Only the leader consumes: health is one model, not one per replica, and a follower that takes over claims
/// the pending entries of the dead leader (XAUTOCLAIM after <see cref="RouterOptions.ClaimMinIdle"/>).
/// An entry is acknowledged after it is applied; one that cannot be read goes to the dead-letter stream
/// (and is acknowledged, so it is not retried forever). After a Redis error (a timeout included) this consumer
/// first re-reads its own pending entries (XREADGROUP from 0), so a batch delivered but not acknowledged is applied
/// at once rather than after <see cref="RouterOptions.ClaimMinIdle"/>, by which time it may have left the 1-minute window.
/// </summary>
internal sealed partial class OutcomeConsumer(
    LeaderLease lease, IConnectionMultiplexer redis, HealthModel health, QualityModel quality, SnapshotTrigger trigger,
    RouterMetrics metrics, IOptions<RouterOptions> options, TimeProvider time, ILogger<OutcomeConsumer> logger)
    : LeaderBackgroundService(lease)
{
    private DateTimeOffset _nextClaim;
    private bool _ownPendingFirst = true;

    protected override async Task RunAsLeaderAsync(CancellationToken ct)
    {
        _nextClaim = time.GetUtcNow();
        _ownPendingFirst = true;
        var groupReady = false;
        while (!ct.IsCancellationRequested)
        {
            int processed;
            try
            {
                if (!groupReady)
                {
                    await EnsureGroupAsync();
                    groupReady = true;
                }
                processed = await ConsumeOnceAsync();
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                // RedisTimeoutException is a TimeoutException, not a RedisException: uncaught, it would end this
                // service (and, by the host's default, the process) on the first slow answer of a loaded Redis.
                LogStreamError(logger, ex.Message);
                groupReady = false;
                _ownPendingFirst = true;
                processed = 0;
                await Task.Delay(TimeSpan.FromSeconds(1), time, ct);
            }
            if (processed == 0)
            {
                await Task.Delay(options.Value.StreamPollDelay, time, ct);
            }
        }
    }

    public async Task EnsureGroupAsync()
    {
        try
        {
            // From the start of the stream: events gateways wrote before the first leader created the group still
            // count (samples are placed at their own time, so anything older than the windows simply ages out).
            await redis.GetDatabase().StreamCreateConsumerGroupAsync(RedisKeys.OutcomesStream, RedisKeys.RouterConsumerGroup, StreamPosition.Beginning, createStream: true);
        }
        catch (RedisServerException ex) when (ex.Message.Contains("BUSYGROUP", StringComparison.Ordinal))
        {
            // exists
        }
    }

    /// <summary>One round: claim abandoned entries when due, then read new ones. Returns entries applied.</summary>
    public async Task<int> ConsumeOnceAsync()
    {
        var db = redis.GetDatabase();
        var o = options.Value;
        var count = 0;
        if (time.GetUtcNow() >= _nextClaim)
        {
            _nextClaim = time.GetUtcNow() + o.ClaimInterval;
            count += await ClaimAbandonedAsync(db);
        }
        if (_ownPendingFirst)
        {
            var pending = await db.StreamReadGroupAsync(RedisKeys.OutcomesStream, RedisKeys.RouterConsumerGroup, o.InstanceId,
                StreamPosition.Beginning, o.StreamBatchSize);
            if (pending.Length > 0)
            {
                return count + await ApplyAsync(db, pending);
            }
            _ownPendingFirst = false;
        }
        var entries = await db.StreamReadGroupAsync(RedisKeys.OutcomesStream, RedisKeys.RouterConsumerGroup, o.InstanceId,
            StreamPosition.NewMessages, o.StreamBatchSize);
        if (entries.Length > 0)
        {
            count += await ApplyAsync(db, entries);
        }
        return count;
    }

    private async Task<int> ClaimAbandonedAsync(IDatabase db)
    {
        var o = options.Value;
        var total = 0;
        RedisValue start = "0-0";
        do
        {
            var result = await db.StreamAutoClaimAsync(RedisKeys.OutcomesStream, RedisKeys.RouterConsumerGroup, o.InstanceId,
                (long)o.ClaimMinIdle.TotalMilliseconds, start, o.StreamBatchSize);
            if (result.ClaimedEntries.Length > 0)
            {
                metrics.Claimed.Add(result.ClaimedEntries.Length);
                LogClaimed(logger, result.ClaimedEntries.Length);
                total += await ApplyAsync(db, result.ClaimedEntries);
            }
            start = result.NextStartId;
        }
        while (start != "0-0");

        // Forget consumers that are gone and own nothing, so XINFO stays readable.
        foreach (var c in await db.StreamConsumerInfoAsync(RedisKeys.OutcomesStream, RedisKeys.RouterConsumerGroup))
        {
            if (c.Name != o.InstanceId && c.PendingMessageCount == 0 && c.IdleTimeInMilliseconds > TimeSpan.FromMinutes(10).TotalMilliseconds)
            {
                await db.StreamDeleteConsumerAsync(RedisKeys.OutcomesStream, RedisKeys.RouterConsumerGroup, c.Name);
            }
        }
        return total;
    }

    private async Task<int> ApplyAsync(IDatabase db, StreamEntry[] entries)
    {
        var ids = new RedisValue[entries.Length];
        var applied = 0;
        for (var i = 0; i < entries.Length; i++)
        {
            var entry = entries[i];
            ids[i] = entry.Id;
            if (entry.IsNull)
            {
                continue; // deleted from the stream while pending
            }
            var value = entry[RedisKeys.OutcomeField];
            OutcomeEvent? e = null;
            string? reason = null;
            try
            {
                e = value.HasValue ? JsonSerializer.Deserialize((byte[])value!, ContractJson.Default.OutcomeEvent) : null;
                reason = e is null ? "missing field e" : null;
            }
            catch (JsonException ex)
            {
                reason = ex.Message;
            }
            if (e is null)
            {
                metrics.DeadLettered.Add(1);
                await db.StreamAddAsync(RedisKeys.OutcomesDeadLetterStream,
                    [new("e", value.HasValue ? value : RedisValue.EmptyString), new("reason", reason), new("consumer", options.Value.InstanceId)],
                    maxLength: 10_000, useApproximateMaxLength: true);
                continue;
            }
            health.Record(e);
            if (e.Checks is { } checks)
            {
                quality.RecordSample(new(e.Provider, e.Model), checks, e.Drift ? e.ModelReported : null);
            }
            applied++;
        }
        await db.StreamAcknowledgeAsync(RedisKeys.OutcomesStream, RedisKeys.RouterConsumerGroup, ids);
        metrics.Processed.Add(applied);
        trigger.Request();
        return entries.Length;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Claimed {Count} pending outcome event(s) from a dead consumer")]
    private static partial void LogClaimed(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outcome stream: {Error}")]
    private static partial void LogStreamError(ILogger logger, string error);
}
