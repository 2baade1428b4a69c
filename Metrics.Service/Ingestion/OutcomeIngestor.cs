using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Npgsql;
using StackExchange.Redis;
using Switchboard.Contracts.Outcomes;
using Switchboard.Contracts.Redis;
using Switchboard.Metrics.Data;
using Switchboard.Metrics.Extensions;

namespace Switchboard.Metrics.Ingestion;

/// <summary>
/// Consumes the outcomes stream with the <c>metrics</c> consumer group: reads a batch, stores it (one transaction),
/// dead-letters poison entries with their reason, and only then acknowledges. While PostgreSQL is away it keeps
/// retrying the same batch and reads nothing more, so every event stays in the stream (pending or unread) until it is
/// committed. On start it first re-reads its own pending entries; entries left pending by a dead consumer are claimed.
/// Reading (and parsing) runs ahead of storing by at most <see cref="ReadAhead"/> batches; when storing falls behind,
/// the batches waiting are stored together in one transaction (the fixed cost of a transaction and of its rollup
/// upserts is paid once for all of them), so the backlog drains faster the larger it is.
/// </summary>
internal sealed partial class OutcomeIngestor(
    IConnectionMultiplexer redis,
    BatchWriter writer,
    DatabaseMigrator migrator,
    IngestionMetrics metrics,
    IOptions<MetricsOptions> options,
    TimeProvider time,
    ILogger<OutcomeIngestor> logger) : BackgroundService
{
    private const int ReadAhead = 4;

    private readonly MetricsOptions _options = options.Value;
    private readonly string _consumer = options.Value.ConsumerName ?? Environment.MachineName;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await migrator.Ready.WaitAsync(stoppingToken);
        var db = redis.GetDatabase();
        // Reading and parsing the next batches overlaps with storing the current ones.
        var batches = Channel.CreateBounded<ReadBatch>(new BoundedChannelOptions(ReadAhead) { SingleReader = true, SingleWriter = true });
        var store = StoreLoopAsync(db, batches.Reader, stoppingToken);
        try
        {
            await ReadLoopAsync(db, batches.Writer, stoppingToken);
        }
        finally
        {
            batches.Writer.TryComplete();
        }
        await store;
    }

    private async Task ReadLoopAsync(IDatabase db, ChannelWriter<ReadBatch> batches, CancellationToken stoppingToken)
    {
        var groupReady = false;
        RedisValue? recoverFrom = "0";
        var lastClaim = time.GetTimestamp();
        var delay = TimeSpan.FromMilliseconds(200);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!groupReady)
                {
                    await EnsureGroupAsync(db);
                    groupReady = true;
                }
                // First this consumer's own pending entries (left by a crash or a restart), then new ones.
                var entries = await db.StreamReadGroupAsync(RedisKeys.OutcomesStream, RedisKeys.MetricsConsumerGroup, _consumer,
                    recoverFrom ?? StreamPosition.NewMessages, _options.BatchSize);
                if (recoverFrom is not null)
                {
                    recoverFrom = entries.Length == 0 ? (RedisValue?)null : entries[^1].Id;
                    if (entries.Length == 0)
                    {
                        continue;
                    }
                }
                if (entries.Length == 0 && time.GetElapsedTime(lastClaim) >= _options.ClaimIdle / 2)
                {
                    lastClaim = time.GetTimestamp();
                    var claimed = await db.StreamAutoClaimAsync(RedisKeys.OutcomesStream, RedisKeys.MetricsConsumerGroup, _consumer,
                        (long)_options.ClaimIdle.TotalMilliseconds, "0-0", _options.BatchSize);
                    entries = claimed.ClaimedEntries;
                }
                if (entries.Length == 0)
                {
                    await Task.Delay(_options.IdlePoll, time, stoppingToken);
                    continue;
                }
                await batches.WriteAsync(Parse(entries), stoppingToken);
                delay = TimeSpan.FromMilliseconds(200);
            }
            catch (RedisException ex) when (!stoppingToken.IsCancellationRequested)
            {
                if (ex.Message.Contains("NOGROUP", StringComparison.Ordinal))
                {
                    groupReady = false;
                    recoverFrom = "0";
                }
                LogRedisFailed(logger, delay.TotalSeconds, ex);
                await Task.Delay(delay, time, stoppingToken);
                delay = Backoff(delay);
            }
        }
    }

    private async Task StoreLoopAsync(IDatabase db, ChannelReader<ReadBatch> batches, CancellationToken ct)
    {
        while (await batches.WaitToReadAsync(ct))
        {
            var batch = Combine(batches);
            if (batch.Items.Count > 0)
            {
                await StoreAsync(batch.Items, batch.Poison, ct);
            }
            // Committed: now dead-letter and acknowledge. Should Redis fail here, the entries stay pending and are
            // stored again later, which the (request id, attempt) key makes harmless.
            var delay = TimeSpan.FromMilliseconds(200);
            while (true)
            {
                try
                {
                    if (batch.Poison.Count > 0)
                    {
                        await DeadLetterAsync(db, batch.Poison);
                    }
                    await db.StreamAcknowledgeAsync(RedisKeys.OutcomesStream, RedisKeys.MetricsConsumerGroup, batch.Ids);
                    break;
                }
                catch (RedisException ex) when (!ct.IsCancellationRequested)
                {
                    LogRedisFailed(logger, delay.TotalSeconds, ex);
                    await Task.Delay(delay, time, ct);
                    delay = Backoff(delay);
                }
            }
        }
    }

    /// <summary>Every batch waiting, as one (at most <see cref="ReadAhead"/> batches).</summary>
    private static ReadBatch Combine(ChannelReader<ReadBatch> batches)
    {
        batches.TryRead(out var first);
        if (batches.Count == 0)
        {
            return first!;
        }
        var ids = new List<RedisValue>(first!.Ids);
        var items = first.Items;
        var poison = first.Poison;
        for (var n = 1; n < ReadAhead && batches.TryRead(out var next); n++)
        {
            ids.AddRange(next.Ids);
            items.AddRange(next.Items);
            poison.AddRange(next.Poison);
        }
        return new ReadBatch([.. ids], items, poison);
    }

    private async Task EnsureGroupAsync(IDatabase db)
    {
        try
        {
            // From the start of the stream: whatever the gateways wrote before this group existed is ingested too.
            await db.StreamCreateConsumerGroupAsync(RedisKeys.OutcomesStream, RedisKeys.MetricsConsumerGroup, "0", createStream: true);
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith("BUSYGROUP", StringComparison.Ordinal))
        {
            // Already there.
        }
    }

    private static ReadBatch Parse(StreamEntry[] entries)
    {
        var ids = new RedisValue[entries.Length];
        var items = new List<(StreamEntry Entry, OutcomeEvent Event)>(entries.Length);
        var poison = new List<(StreamEntry Entry, string Reason)>();
        for (var i = 0; i < entries.Length; i++)
        {
            var entry = entries[i];
            ids[i] = entry.Id;
            if (entry.IsNull || entry.Values.Length == 0)
            {
                continue; // Trimmed from the stream while pending: nothing left to store.
            }
            var raw = entry[RedisKeys.OutcomeField];
            if (OutcomeParser.TryParse(raw.IsNull ? default : ((ReadOnlyMemory<byte>)raw).Span, out var outcome, out var reason))
            {
                items.Add((entry, outcome!));
            }
            else
            {
                poison.Add((entry, reason!));
            }
        }
        return new ReadBatch(ids, items, poison);
    }

    private async Task StoreAsync(List<(StreamEntry Entry, OutcomeEvent Event)> items, List<(StreamEntry Entry, string Reason)> poison,
        CancellationToken ct)
    {
        var delay = TimeSpan.FromMilliseconds(200);
        var failing = false;
        while (true)
        {
            try
            {
                var started = time.GetTimestamp();
                var result = await writer.WriteAsync(items.ConvertAll(i => i.Event), ct);
                metrics.Batch(result, time.GetElapsedTime(started));
                if (failing)
                {
                    LogDatabaseBack(logger);
                }
                return;
            }
            catch (PostgresException ex) when (IsDataError(ex))
            {
                // Some event PostgreSQL refuses: halve until it is alone, then dead-letter it; the rest are stored.
                if (items.Count == 1)
                {
                    poison.Add((items[0].Entry, $"rejected by PostgreSQL: {ex.SqlState} {ex.MessageText}"));
                    return;
                }
                var half = items.Count / 2;
                await StoreAsync(items[..half], poison, ct);
                await StoreAsync(items[half..], poison, ct);
                return;
            }
            catch (Exception ex) when (!ct.IsCancellationRequested && ex is not OperationCanceledException)
            {
                failing = true;
                LogDatabaseFailed(logger, items.Count, delay.TotalSeconds, ex);
                await Task.Delay(delay, time, ct);
                delay = Backoff(delay);
            }
        }
    }

    private async Task DeadLetterAsync(IDatabase db, List<(StreamEntry Entry, string Reason)> poison)
    {
        var deadLettered = new HashSet<RedisValue>(await DeadLetteredIdsAsync(db, poison));
        foreach (var (entry, reason) in poison)
        {
            if (deadLettered.Contains(entry.Id))
            {
                continue; // Dead-lettered already by a try whose acknowledgement failed.
            }
            await db.StreamAddAsync(RedisKeys.OutcomesDeadLetterStream,
            [
                new NameValueEntry(RedisKeys.OutcomeField, entry[RedisKeys.OutcomeField] is { IsNull: false } raw ? raw : RedisValue.EmptyString),
                new NameValueEntry("reason", reason),
                new NameValueEntry("consumer", $"{RedisKeys.MetricsConsumerGroup}/{_consumer}"),
                new NameValueEntry("id", entry.Id),
            ]);
            LogDeadLettered(logger, entry.Id.ToString(), reason);
        }
        metrics.DeadLetter(poison.Count);
    }

    private static async Task<IEnumerable<RedisValue>> DeadLetteredIdsAsync(IDatabase db, List<(StreamEntry Entry, string Reason)> poison)
    {
        // Only the tail can hold them: dead letters of this batch are the newest.
        var recent = await db.StreamRangeAsync(RedisKeys.OutcomesDeadLetterStream, count: poison.Count, messageOrder: Order.Descending);
        return recent.Select(r => r["id"]);
    }

    private sealed record ReadBatch(
        RedisValue[] Ids, List<(StreamEntry Entry, OutcomeEvent Event)> Items, List<(StreamEntry Entry, string Reason)> Poison);

    // Class 22 (data exception) and 23 (integrity): the data is at fault, retrying cannot help.
    private static bool IsDataError(PostgresException ex) =>
        ex.SqlState.StartsWith("22", StringComparison.Ordinal) || ex.SqlState.StartsWith("23", StringComparison.Ordinal);

    private TimeSpan Backoff(TimeSpan delay) => TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.MaxRetryDelay.Ticks));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis failed while consuming outcomes; retrying in {DelaySeconds} s")]
    private static partial void LogRedisFailed(ILogger logger, double delaySeconds, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Storing a batch of {Count} outcome events failed; the events stay in the stream, retrying in {DelaySeconds} s")]
    private static partial void LogDatabaseFailed(ILogger logger, int count, double delaySeconds, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "PostgreSQL is back; ingestion resumed")]
    private static partial void LogDatabaseBack(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outcome entry {EntryId} dead-lettered: {Reason}")]
    private static partial void LogDeadLettered(ILogger logger, string entryId, string reason);
}
