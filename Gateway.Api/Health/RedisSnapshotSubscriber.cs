using System.Text.Json;
using StackExchange.Redis;
using Switchboard.Contracts.Health;
using Switchboard.Contracts.Outcomes;
using Switchboard.Contracts.Redis;
using Switchboard.Gateway.Configuration;

namespace Switchboard.Gateway.Health;

/// <summary>
/// Keeps this gateway in step with Router.Worker through Redis: reads the health snapshot and the published
/// routing document at start, whenever <see cref="RedisKeys.ChangesChannel"/> announces a change, and when the
/// connection comes back (a message published while it was down is lost). When Redis goes away the last snapshot
/// and document stay in force; nothing here ever fails a request. Snapshots are ordered by epoch, then version
/// (<see cref="HealthSnapshot.Supersedes"/>): a Redis that restarted empty starts a new epoch with versions from 1.
/// </summary>
internal sealed partial class RedisSnapshotSubscriber(
    IServiceProvider services,
    IDeploymentHealth health,
    RoutingStore routing,
    TimeProvider timeProvider,
    ILogger<RedisSnapshotSubscriber> logger) : BackgroundService
{
    private long _routingVersion = -1;
    private long _healthEpoch = -1;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        IConnectionMultiplexer mux;
        try
        {
            // Resolving connects; do it off the start-up path.
            mux = await Task.Run(() => services.GetRequiredService<IConnectionMultiplexer>(), stoppingToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or InvalidOperationException)
        {
            LogUnavailable(ex.Message);
            return;
        }
        var subscriber = mux.GetSubscriber();
        mux.ConnectionRestored += (_, e) =>
        {
            if (e.ConnectionType == ConnectionType.Interactive)
            {
                _ = RefreshAllAsync(mux);
            }
        };
        var attempt = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var queue = await subscriber.SubscribeAsync(RedisChannel.Literal(RedisKeys.ChangesChannel)).ConfigureAwait(false);
                queue.OnMessage(async message => await OnChangeAsync(mux, message.Message).ConfigureAwait(false));
                await RefreshHealthAsync(mux).ConfigureAwait(false);
                await RefreshRoutingAsync(mux).ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                if (attempt++ == 0)
                {
                    LogUnavailable(ex.Message);
                }
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(30, 1 << Math.Min(attempt, 5))), timeProvider, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    private async Task OnChangeAsync(IConnectionMultiplexer mux, RedisValue message)
    {
        try
        {
            var change = JsonSerializer.Deserialize((string)message!, ContractJson.Default.SnapshotChange);
            if (change?.Kind == "health")
            {
                await RefreshHealthAsync(mux).ConfigureAwait(false);
            }
            else if (change?.Kind == "routing")
            {
                await RefreshRoutingAsync(mux).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or JsonException)
        {
            LogChangeFailed(ex.Message);
        }
    }

    private async Task RefreshAllAsync(IConnectionMultiplexer mux)
    {
        try
        {
            await RefreshHealthAsync(mux).ConfigureAwait(false);
            await RefreshRoutingAsync(mux).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or JsonException)
        {
            LogChangeFailed(ex.Message);
        }
    }

    private async Task RefreshHealthAsync(IConnectionMultiplexer mux)
    {
        var json = await mux.GetDatabase().StringGetAsync(RedisKeys.HealthSnapshot).ConfigureAwait(false);
        if (json.IsNullOrEmpty)
        {
            return;
        }
        if (JsonSerializer.Deserialize((string)json!, ContractJson.Default.HealthSnapshot) is { } snapshot)
        {
            var previous = Interlocked.Read(ref _healthEpoch);
            if (snapshot.Epoch > previous)
            {
                Interlocked.Exchange(ref _healthEpoch, snapshot.Epoch);
                if (previous != -1)
                {
                    LogNewEpoch(snapshot.Epoch, snapshot.Version);
                }
            }
            health.Apply(snapshot);
        }
    }

    private async Task RefreshRoutingAsync(IConnectionMultiplexer mux)
    {
        var db = mux.GetDatabase();
        var json = await db.StringGetAsync(RedisKeys.RoutingDocument).ConfigureAwait(false);
        if (json.IsNullOrEmpty)
        {
            return;
        }
        var versionValue = await db.StringGetAsync(RedisKeys.RoutingVersion).ConfigureAwait(false);
        var version = versionValue.TryParse(out long v) ? v : 0;
        if (version != 0 && version <= Interlocked.Read(ref _routingVersion))
        {
            return;
        }
        if (routing.ApplyPublished((string)json!, version))
        {
            Interlocked.Exchange(ref _routingVersion, version);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis is unavailable ({Reason}); serving with the last health snapshot and routing document, and passive health")]
    private partial void LogUnavailable(string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Health snapshots start a new epoch {Epoch} at version {Version} (Redis lost the version counter)")]
    private partial void LogNewEpoch(long epoch, long version);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not apply a change announced on Redis: {Reason}")]
    private partial void LogChangeFailed(string reason);
}
