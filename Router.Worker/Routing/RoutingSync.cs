using System.Text.Json;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Switchboard.Contracts.Health;
using Switchboard.Contracts.Outcomes;
using Switchboard.Contracts.Redis;
using Switchboard.Router.Extensions;
using Switchboard.Router.Keys;
using Switchboard.Router.Leadership;

namespace Switchboard.Router.Routing;

/// <summary>
/// Keeps <see cref="RoutingState"/> in step on every replica: at start (Redis, then controldb, then the
/// baseline file), on each <c>routing</c> change message (a publish on another replica), and on a schedule.
/// The leader also re-asserts the newest version and the gateway keys in Redis, in case Redis lost them.
/// </summary>
internal sealed partial class RoutingSync(
    RoutingState state, RoutingVersionStore store, RoutingPublisher publisher, GatewayKeyStore keys, LeaderLease lease,
    IConnectionMultiplexer redis, IOptions<RouterOptions> options, TimeProvider time, ILogger<RoutingSync> logger) : BackgroundService
{
    /// <summary>The baseline is loaded before any later hosted service starts (ExecuteAsync runs on its own task).</summary>
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        LoadBaseline();
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await redis.GetSubscriber().SubscribeAsync(RedisChannel.Literal(RedisKeys.ChangesChannel), (channel, message) =>
            {
                if (message.HasValue && Kind(message) == "routing")
                {
                    _ = ReadFromRedisAsync();
                }
            });
            await ReadFromRedisAsync();
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            LogSyncFailed(logger, ex.Message);
        }

        var leaderSynced = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var isLeader = lease.IsLeader;
                await ReconcileAsync(isLeader && !leaderSynced, isLeader, stoppingToken);
                leaderSynced = isLeader;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogSyncFailed(logger, ex.Message);
            }
            try
            {
                // Short wait until the first reconcile as leader, then the regular interval.
                await Task.Delay(lease.IsLeader && !leaderSynced ? TimeSpan.FromSeconds(1) : options.Value.ReconcileInterval, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Takes the newest version from controldb; as leader, mirrors it (and the keys) to Redis.</summary>
    public async Task ReconcileAsync(bool mirrorKeys, bool isLeader, CancellationToken ct)
    {
        var latest = await store.LatestAsync(ct);
        if (latest?.Content is { } content)
        {
            state.TryApply(latest.Version, content);
            if (isLeader)
            {
                await publisher.MirrorAsync(latest.Version, content);
            }
        }
        if (mirrorKeys)
        {
            await keys.MirrorAllAsync(ct);
        }
    }

    private void LoadBaseline()
    {
        try
        {
            var text = state.BaselineText();
            if (text is null)
            {
                LogNoBaseline(logger);
                return;
            }
            var parsed = state.Parse(text);
            if (!parsed.IsValid)
            {
                LogBaselineInvalid(logger, string.Join("; ", parsed.Errors));
                return;
            }
            state.TryApply(0, text);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException or NullReferenceException)
        {
            LogBaselineInvalid(logger, ex.Message);
        }
    }

    private async Task ReadFromRedisAsync()
    {
        try
        {
            var db = redis.GetDatabase();
            var values = await db.StringGetAsync([RedisKeys.RoutingVersion, RedisKeys.RoutingDocument]);
            if (values[0].TryParse(out long version) && values[1].HasValue)
            {
                state.TryApply(version, values[1]!);
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            LogSyncFailed(logger, ex.Message);
        }
    }

    private static string? Kind(RedisValue message)
    {
        try
        {
            return JsonSerializer.Deserialize((string)message!, ContractJson.Default.SnapshotChange)?.Kind;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "No routing document baseline (--config, SWITCHBOARD_CONFIG or Switchboard:RoutingJson); waiting for a published version")]
    private static partial void LogNoBaseline(ILogger logger);

    [LoggerMessage(Level = LogLevel.Error, Message = "The routing document baseline is invalid: {Errors}")]
    private static partial void LogBaselineInvalid(ILogger logger, string errors);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Routing sync: {Error}")]
    private static partial void LogSyncFailed(ILogger logger, string error);
}
