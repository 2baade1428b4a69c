using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Switchboard.Contracts.Redis;
using Switchboard.Router.Extensions;
using Switchboard.Router.Leadership;

namespace Switchboard.Router.Health;

/// <summary>
/// Keeps the <c>outcomes</c> stream bounded without ever losing an event: the leader trims (XTRIM MINID) only entries
/// that every consumer group has been given and acknowledged, and that are older than
/// <see cref="RouterOptions.OutcomesRetention"/>. Until both readers (Router.Worker's and Metrics.Service's groups) exist,
/// nothing is trimmed, so events written before Metrics.Service first starts still reach PostgreSQL. Gateways write
/// without MAXLEN for the same reason: a cap there would silently drop what a stopped reader has not read yet.
/// </summary>
internal sealed partial class OutcomeStreamTrimmer(
    LeaderLease lease, IConnectionMultiplexer redis, IOptions<RouterOptions> options, TimeProvider time, ILogger<OutcomeStreamTrimmer> logger)
    : LeaderBackgroundService(lease)
{
    private static readonly string[] RequiredGroups = [RedisKeys.RouterConsumerGroup, RedisKeys.MetricsConsumerGroup];

    protected override async Task RunAsLeaderAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await TrimOnceAsync();
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                LogTrimFailed(logger, ex.Message);
            }

            await Task.Delay(options.Value.OutcomesTrimInterval, time, ct);
        }
    }

    /// <summary>One trim; returns the entries removed (0 when no reader allows it yet).</summary>
    public async Task<long> TrimOnceAsync()
    {
        var db = redis.GetDatabase();
        if (!await db.KeyExistsAsync(RedisKeys.OutcomesStream))
        {
            return 0;
        }

        var groups = await db.StreamGroupInfoAsync(RedisKeys.OutcomesStream);
        if (RequiredGroups.Any(required => !groups.Any(g => g.Name == required)))
        {
            return 0;
        }

        // Oldest entry some group still needs: the first one after what it was given, or its lowest pending entry.
        // XINFO GROUPS already says how many entries each group has pending; XPENDING (for the lowest one's id, which
        // XINFO does not give) is asked only of a group that has some. Entries a group is given after XINFO answered
        // lie above its last-delivered id, so the floor stays safe; one acknowledged since only leaves more kept.
        var floor = StreamId.Max;
        foreach (var group in groups)
        {
            var needed = StreamId.Parse(group.LastDeliveredId ?? "0-0").Next();
            if (group.PendingMessageCount > 0
                && await db.StreamPendingAsync(RedisKeys.OutcomesStream, group.Name) is { PendingMessageCount: > 0 } pending)
            {
                needed = StreamId.Min(needed, StreamId.Parse(pending.LowestPendingMessageId.ToString()));
            }
            floor = StreamId.Min(floor, needed);
        }

        var retention = options.Value.OutcomesRetention;
        var cutoff = new StreamId((ulong)Math.Max(0, (time.GetUtcNow() - retention).ToUnixTimeMilliseconds()), 0);
        var minId = StreamId.Min(floor, cutoff);
        if (minId.Milliseconds == 0)
        {
            return 0;
        }

        // Exact MINID (no "~"): an approximate trim may only keep more, but exact keeps the figure in the log honest.
        var removed = (long)await db.ExecuteAsync("XTRIM", RedisKeys.OutcomesStream, "MINID", minId.ToString());
        if (removed > 0)
        {
            LogTrimmed(logger, removed, minId.ToString());
        }

        return removed;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Trimmed {Removed} outcome events older than {MinId} (read and acknowledged by every consumer group)")]
    private static partial void LogTrimmed(ILogger logger, long removed, string minId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Trimming the outcomes stream failed, will retry: {Reason}")]
    private static partial void LogTrimFailed(ILogger logger, string reason);

    /// <summary>A Redis stream entry id (milliseconds-sequence), ordered as Redis orders them.</summary>
    internal readonly record struct StreamId(ulong Milliseconds, ulong Sequence) : IComparable<StreamId>
    {
        public static readonly StreamId Max = new(ulong.MaxValue, ulong.MaxValue);

        public static StreamId Parse(string id)
        {
            var dash = id.IndexOf('-', StringComparison.Ordinal);
            return dash < 0
                ? new(ulong.Parse(id, System.Globalization.CultureInfo.InvariantCulture), 0)
                : new(ulong.Parse(id.AsSpan(0, dash), System.Globalization.CultureInfo.InvariantCulture),
                      ulong.Parse(id.AsSpan(dash + 1), System.Globalization.CultureInfo.InvariantCulture));
        }

        public StreamId Next() => Sequence == ulong.MaxValue ? new(Milliseconds + 1, 0) : new(Milliseconds, Sequence + 1);

        public static StreamId Min(StreamId a, StreamId b) => a.CompareTo(b) <= 0 ? a : b;

        public int CompareTo(StreamId other) =>
            Milliseconds != other.Milliseconds ? Milliseconds.CompareTo(other.Milliseconds) : Sequence.CompareTo(other.Sequence);

        public override string ToString() => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Milliseconds}-{Sequence}");
    }
}
