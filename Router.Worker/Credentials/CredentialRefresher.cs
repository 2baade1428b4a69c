using System.Collections.Concurrent;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Switchboard.Contracts.Health;
using Switchboard.Contracts.Outcomes;
using Switchboard.Contracts.Redis;
using Switchboard.Router.Extensions;
using Switchboard.Router.Routing;

namespace Switchboard.Router.Credentials;

/// <summary>
/// Keeps <see cref="CredentialStore"/> current on every replica: at start, on a schedule, when the routing
/// document changes, and on demand when a gateway publishes a <see cref="CredentialReport"/> (or a probe is
/// refused). On-demand refreshes of one provider are debounced so a burst of 401s costs one read.
/// </summary>
internal sealed partial class CredentialRefresher(
    CredentialStore store, RoutingState routing, IConnectionMultiplexer redis, IOptions<RouterOptions> options,
    TimeProvider time, ILogger<CredentialRefresher> logger) : BackgroundService
{
    private readonly Channel<string?> _requests = Channel.CreateUnbounded<string?>();
    private readonly ConcurrentDictionary<string, DateTimeOffset> _lastOnDemand = new(StringComparer.Ordinal);

    /// <summary>Asks for a refresh of one provider (debounced), e.g. after a 401/403.</summary>
    public void RequestRefresh(string provider)
    {
        var now = time.GetUtcNow();
        var last = _lastOnDemand.GetValueOrDefault(provider);
        if (now - last < options.Value.CredentialRefreshDebounce)
        {
            return;
        }
        _lastOnDemand[provider] = now;
        _requests.Writer.TryWrite(provider);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        routing.Changed += _ => _requests.Writer.TryWrite(null);
        try
        {
            await redis.GetSubscriber().SubscribeAsync(RedisChannel.Literal(RedisKeys.CredentialReportsChannel), (channel, message) =>
            {
                var report = TryParse(message);
                if (report is not null)
                {
                    LogReported(logger, report.Provider, report.Status, report.Gateway ?? "?");
                    RequestRefresh(report.Provider);
                }
            });
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            LogRefreshFailed(logger, ex.Message);
        }

        _requests.Writer.TryWrite(null);
        using var timer = new PeriodicTimer(options.Value.CredentialRefreshInterval, time);
        var tick = Task.Run(async () =>
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                _requests.Writer.TryWrite(null);
            }
        }, stoppingToken);

        try
        {
            await foreach (var provider in _requests.Reader.ReadAllAsync(stoppingToken))
            {
                try
                {
                    await store.RefreshAsync(provider, stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogRefreshFailed(logger, ex.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // shutting down
        }
        await tick.ContinueWith(static _ => { }, TaskScheduler.Default);
    }

    private static CredentialReport? TryParse(RedisValue message)
    {
        try
        {
            return message.HasValue ? JsonSerializer.Deserialize((string)message!, ContractJson.Default.CredentialReport) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Gateway {Gateway} reports provider {Provider} refused its credential ({Status}); refreshing")]
    private static partial void LogReported(ILogger logger, string provider, int status, string gateway);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Credential refresh failed: {Error}")]
    private static partial void LogRefreshFailed(ILogger logger, string error);
}
