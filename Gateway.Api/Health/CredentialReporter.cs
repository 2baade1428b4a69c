using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Switchboard.Contracts.Health;
using Switchboard.Contracts.Outcomes;
using Switchboard.Contracts.Redis;
using Switchboard.Gateway.Configuration;
using Switchboard.Gateway.Limits;

namespace Switchboard.Gateway.Health;

/// <summary>
/// Tells Router.Worker that a provider refused this gateway's credential (a <see cref="CredentialReport"/> on
/// <see cref="RedisKeys.CredentialReportsChannel"/>), so it refreshes the credential at its source. At most one
/// report per provider per second: a burst of 401s is one event. Fire and forget; without Redis, nothing.
/// </summary>
internal sealed partial class CredentialReporter(SharedRedis redis, TimeProvider timeProvider, IOptions<GatewayOptions> options, ILogger<CredentialReporter> logger)
{
    private readonly ConcurrentDictionary<string, long> _last = new(StringComparer.Ordinal);
    private readonly string _gateway = options.Value.InstanceId ?? Environment.MachineName + ":" + Environment.ProcessId;

    public void Report(string provider, int status)
    {
        var now = timeProvider.GetUtcNow();
        var ms = now.ToUnixTimeMilliseconds();
        var last = _last.GetOrAdd(provider, 0);
        if (ms - last < 1000 || !_last.TryUpdate(provider, ms, last))
        {
            return;
        }
        LogRefused(provider, status);
        if (redis.Multiplexer is not { } mux)
        {
            return;
        }
        var json = JsonSerializer.Serialize(new CredentialReport(provider, status, now, _gateway), ContractJson.Default.CredentialReport);
        _ = mux.GetSubscriber().PublishAsync(RedisChannel.Literal(RedisKeys.CredentialReportsChannel), json, CommandFlags.FireAndForget);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Provider {Provider} refused its credential ({Status}); failing over, re-reading it, and reporting it to Router.Worker")]
    private partial void LogRefused(string provider, int status);
}
