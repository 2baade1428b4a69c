using System.Text.Json;
using StackExchange.Redis;
using Switchboard.Contracts.Health;
using Switchboard.Contracts.Outcomes;
using Switchboard.Contracts.Redis;
using Switchboard.Gateway.Limits;

namespace Switchboard.Gateway.Keys;

/// <summary>
/// Keeps <see cref="KeyDirectory"/> in step with the keys Router.Worker issues: reads the whole
/// <see cref="RedisKeys.GatewayKeys"/> hash at start, again whenever <see cref="RedisKeys.ChangesChannel"/>
/// announces <c>{"kind":"keys"}</c> (applied within a second of the change), when the connection comes back,
/// and every <see cref="PollInterval"/> in case a message was missed. A failed read keeps the last table.
/// </summary>
internal sealed partial class RedisKeySync(SharedRedis redis, KeyDirectory keys, TimeProvider timeProvider, ILogger<RedisKeySync> logger) : BackgroundService
{
    internal static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(10);
    private readonly SemaphoreSlim _refresh = new(1, 1);
    private readonly TaskCompletionSource _subscribed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// Completes once the change announcements are subscribed to: from then on a published change applies within a
    /// second. Before it (the gateway's first connect to Redis) the table is read when the subscription is made.
    /// </summary>
    internal Task Subscribed => _subscribed.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await redis.StartConnecting().ConfigureAwait(false);
        var subscribed = false;
        redis.Restored += () => _ = RefreshAsync();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                if (!subscribed && redis.Multiplexer is { } mux)
                {
                    try
                    {
                        var queue = await mux.GetSubscriber().SubscribeAsync(RedisChannel.Literal(RedisKeys.ChangesChannel)).ConfigureAwait(false);
                        queue.OnMessage(message => OnChange(message.Message));
                        subscribed = true;
                        _subscribed.TrySetResult();
                    }
                    catch (Exception ex) when (ex is RedisException or TimeoutException)
                    {
                        LogFailed(ex.Message);
                    }
                }
                await RefreshAsync().ConfigureAwait(false);
                await Task.Delay(subscribed ? PollInterval : TimeSpan.FromSeconds(1), timeProvider, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private Task OnChange(RedisValue message)
    {
        try
        {
            if (JsonSerializer.Deserialize((string)message!, ContractJson.Default.SnapshotChange)?.Kind == "keys")
            {
                return RefreshAsync();
            }
        }
        catch (JsonException)
        {
        }
        return Task.CompletedTask;
    }

    internal async Task RefreshAsync()
    {
        if (redis.Database is not { } db)
        {
            return;
        }
        await _refresh.WaitAsync().ConfigureAwait(false);
        try
        {
            var entries = await db.HashGetAllAsync(RedisKeys.GatewayKeys).ConfigureAwait(false);
            var before = keys.IssuedCount;
            keys.ApplyIssued(entries.Select(e => KeyValuePair.Create((string)e.Name!, (string?)e.Value ?? "")));
            if (before != entries.Length)
            {
                LogLoaded(entries.Length);
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
            LogFailed(ex.Message);
        }
        finally
        {
            _refresh.Release();
        }
    }

    public override void Dispose()
    {
        _refresh.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Gateway keys issued by Router.Worker: {Count} (revoked included)")]
    private partial void LogLoaded(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot read the gateway keys from Redis ({Reason}); keeping the last table")]
    private partial void LogFailed(string reason);
}
