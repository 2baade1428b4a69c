using System.Buffers;
using System.Text.Json;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Switchboard.Contracts.Outcomes;
using Switchboard.Contracts.Redis;
using Switchboard.Gateway.Configuration;

namespace Switchboard.Gateway.Outcomes;

/// <summary>
/// Drains the outcome buffer in batches, gathered for at most <see cref="GatewayOptions.OutcomeFlushDelayMs"/>: XADD to <see cref="RedisKeys.OutcomesStream"/> when Redis is configured
/// (a failed batch is kept and retried while new events wait in the bounded buffer), otherwise a log line per
/// event (OTLP carries logs and metrics). At shutdown it writes what is still buffered before it returns.
/// </summary>
internal sealed partial class OutcomeWriter(
    OutcomeChannel channel,
    IServiceProvider services,
    RedisPresence redis,
    IOptions<GatewayOptions> options,
    GatewayMetrics metrics,
    TimeProvider timeProvider,
    ILogger<OutcomeWriter> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batchSize = Math.Max(1, options.Value.OutcomeBatchSize);
        var batch = new List<OutcomeEvent>(batchSize);
        IDatabase? db = null;
        var failures = 0;
        long droppedLogged = 0;
        try
        {
            var linger = TimeSpan.FromMilliseconds(options.Value.OutcomeFlushDelayMs);
            while (await channel.Reader.WaitToReadAsync(stoppingToken).ConfigureAwait(false))
            {
                if (linger > TimeSpan.Zero && channel.Reader.Count < batchSize)
                {
                    // Let a batch gather: one wake-up and one XADD round trip per batch instead of per request
                    // (at a few requests in flight, each event alone cost a thread hop and a Redis write).
                    await Task.Delay(linger, timeProvider, stoppingToken).ConfigureAwait(false);
                }
                while (batch.Count < batchSize && channel.Reader.TryRead(out var e))
                {
                    batch.Add(e);
                }
                if (!redis.Configured)
                {
                    LogBatch(batch);
                    batch.Clear();
                    continue;
                }
                try
                {
                    db ??= await DatabaseAsync(stoppingToken).ConfigureAwait(false);
                    await WriteBatchAsync(db, batch).ConfigureAwait(false);
                    metrics.Written(batch.Count);
                    batch.Clear();
                    failures = 0;
                    droppedLogged = LogDropsSince(droppedLogged);
                }
                catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException or InvalidOperationException)
                {
                    // A command that failed may still sit in the client's backlog holding slices of the buffer:
                    // the retry serializes into a new one, never over bytes that could yet be sent.
                    _json = new(64 * 1024);
                    _jsonWriter = null;
                    failures++;
                    if (failures == 1)
                    {
                        LogRedisDown(ex.Message, batch.Count);
                    }
                    droppedLogged = LogDropsSince(droppedLogged);
                    var delay = TimeSpan.FromMilliseconds(Math.Min(5_000, 100 * (1 << Math.Min(failures, 6))));
                    await Task.Delay(delay, timeProvider, stoppingToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        await DrainAsync(batch, db, batchSize).ConfigureAwait(false);
    }

    /// <summary>The Redis database, resolved off the writer loop (the multiplexer connects when first resolved).</summary>
    private async Task<IDatabase> DatabaseAsync(CancellationToken cancellationToken) =>
        (await Task.Run(() => services.GetRequiredService<IConnectionMultiplexer>(), cancellationToken).ConfigureAwait(false)).GetDatabase();

    /// <summary>Without Redis, each event is a log line (OTLP carries logs and metrics).</summary>
    private void LogBatch(List<OutcomeEvent> batch)
    {
        foreach (var e in batch)
        {
            LogOutcome(e.RequestId, e.Attempt, e.Provider, e.Model, e.Outcome, e.Status, e.LatencyMs, e.InputTokens, e.OutputTokens, e.CostUsd);
        }
    }

    /// <summary>How long the shutdown drain may spend writing (the host waits 30 s by default for every service).</summary>
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// At shutdown, writes what is still buffered: the unwritten batch and the channel's contents. The server stops
    /// first (it is registered last) and finishes the requests in flight, so every outcome has been published by now;
    /// the channel is completed, and anything published after that is counted as dropped. What Redis does not take
    /// within <see cref="DrainTimeout"/> is logged with its count, never lost silently.
    /// </summary>
    private async Task DrainAsync(List<OutcomeEvent> batch, IDatabase? db, int batchSize)
    {
        channel.Complete();
        while (channel.Reader.TryRead(out var e))
        {
            batch.Add(e);
        }
        if (batch.Count == 0)
        {
            return;
        }
        if (!redis.Configured)
        {
            LogBatch(batch);
            return;
        }
        var started = timeProvider.GetTimestamp();
        var written = 0;
        var reason = "the shutdown drain ran out of time";
        try
        {
            db ??= await DatabaseAsync(CancellationToken.None).ConfigureAwait(false);
            while (written < batch.Count && timeProvider.GetElapsedTime(started) < DrainTimeout)
            {
                var part = batch.GetRange(written, Math.Min(batchSize, batch.Count - written));
                await WriteBatchAsync(db, part).ConfigureAwait(false);
                metrics.Written(part.Count);
                written += part.Count;
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException or InvalidOperationException)
        {
            reason = ex.Message;
        }
        if (written < batch.Count)
        {
            LogLostAtShutdown(batch.Count - written, reason);
        }
    }

    /// <summary>
    /// Logs the running total of dropped events whenever it has grown: the last such line a process wrote is its
    /// exact drop count, readable without OTLP (a drop only happens while the buffer is full, and every later write
    /// or failed write checks again).
    /// </summary>
    private long LogDropsSince(long logged)
    {
        var dropped = metrics.DroppedTotal;
        if (dropped != logged)
        {
            LogDropped(dropped, options.Value.OutcomeBufferCapacity);
        }
        return dropped;
    }

    /// <summary>XADDs each argument as one entry of <see cref="RedisKeys.OutcomesStream"/>.</summary>
    private const string AppendScript = "for i = 1, #ARGV do redis.call('XADD', KEYS[1], '*', '" + RedisKeys.OutcomeField + "', ARGV[i]) end return #ARGV";

    private static readonly RedisKey[] StreamKey = [RedisKeys.OutcomesStream];

    // The batch buffer, reused by the single writer loop (a buffer grown by a burst is kept: bounded by the batch size).
    private ArrayBufferWriter<byte> _json = new(64 * 1024);
    private Utf8JsonWriter? _jsonWriter;

    /// <summary>
    /// Appends a whole batch in one command: XADD per event inside a script, so the batch costs one request, one
    /// reply and one task instead of one each per event (on the gateway and on Redis alike). Entries are exactly what
    /// separate XADDs would write. A script that fails part-way leaves the entries before the failure: the batch is
    /// retried whole, and the reader keys rows by request and attempt, so a repeat is not a double count.
    /// </summary>
    private async Task WriteBatchAsync(IDatabase db, List<OutcomeEvent> batch)
    {
        // Serialized into one reused buffer; each event's JSON is a slice of it (no array per event).
        _json.ResetWrittenCount();
        _jsonWriter ??= new Utf8JsonWriter(_json);
        var ends = new int[batch.Count];
        for (var i = 0; i < batch.Count; i++)
        {
            _jsonWriter.Reset(_json);
            JsonSerializer.Serialize(_jsonWriter, batch[i], ContractJson.Default.OutcomeEvent);
            _jsonWriter.Flush();
            ends[i] = _json.WrittenCount;
        }
        var values = new RedisValue[batch.Count];
        var memory = _json.WrittenMemory;
        for (var i = 0; i < batch.Count; i++)
        {
            var start = i == 0 ? 0 : ends[i - 1];
            values[i] = memory[start..ends[i]];
        }
        await db.ScriptEvaluateAsync(AppendScript, StreamKey, values).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Outcome {RequestId}#{Attempt} {Provider}/{Model}: {Outcome} status {Status} in {LatencyMs:F1} ms, {InputTokens}+{OutputTokens} tokens, {CostUsd} USD")]
    private partial void LogOutcome(string requestId, int attempt, string provider, string model, AttemptOutcome outcome, int status, double latencyMs, int inputTokens, int outputTokens, decimal costUsd);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outcome events dropped since start: {Dropped} (buffer of {Capacity} full while Redis was unreachable)")]
    private partial void LogDropped(long dropped, int capacity);

    [LoggerMessage(Level = LogLevel.Error, Message = "Outcome events not written at shutdown: {Count} ({Reason})")]
    private partial void LogLostAtShutdown(int count, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot write outcome events to Redis ({Reason}); {Count} events held, newer ones buffered (bounded) until it returns")]
    private partial void LogRedisDown(string reason, int count);
}

/// <summary>Whether a Redis connection string is configured (decided once at start-up).</summary>
internal sealed record RedisPresence(bool Configured);
