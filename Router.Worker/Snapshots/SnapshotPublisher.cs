using System.Text.Json;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Switchboard.Contracts.Health;
using Switchboard.Contracts.Outcomes;
using Switchboard.Contracts.Redis;
using Switchboard.Router.Alerts;
using Switchboard.Router.Extensions;
using Switchboard.Router.Health;
using Switchboard.Router.Leadership;
using Switchboard.Router.Routing;

namespace Switchboard.Router.Snapshots;

/// <summary>
/// The leader's health snapshot loop: evaluates on every trigger (the stream consumer and probes ask after each
/// batch) and at least every <see cref="RouterOptions.SnapshotInterval"/>; a change of state, circuit or flag is
/// written and announced at once, figures alone at least every <see cref="RouterOptions.SnapshotHeartbeat"/>.
/// Write = next (epoch, version) from <see cref="RedisKeys.HealthEpoch"/> + <see cref="RedisKeys.HealthVersion"/>,
/// SET <see cref="RedisKeys.HealthSnapshot"/>, PUBLISH <c>{kind:"health",version}</c> on
/// <see cref="RedisKeys.ChangesChannel"/>. When the counter is gone (Redis restarted empty) or went back (an older
/// dump), a new epoch (Redis server time, later than the last one this replica used) starts the versions again at 1,
/// so gateways, which order by epoch then version, take the new snapshots. A new leader starts from the last
/// published states, so a take-over does not flap them.
/// </summary>
internal sealed partial class SnapshotPublisher(
    LeaderLease lease, HealthModel health, RoutingState routing, SnapshotTrigger trigger, IConnectionMultiplexer redis,
    AlertStore alerts, RouterMetrics metrics, IOptions<RouterOptions> options, TimeProvider time, ILogger<SnapshotPublisher> logger)
    : LeaderBackgroundService(lease)
{
    // KEYS: version counter, epoch. ARGV: the epoch and version this replica last issued.
    private const string NextVersionScript = """
        local epoch = tonumber(redis.call('GET', KEYS[2]) or '0')
        local version = tonumber(redis.call('GET', KEYS[1]) or '0')
        local lastEpoch = tonumber(ARGV[1])
        if epoch == 0 or (epoch == lastEpoch and version < tonumber(ARGV[2])) then
            local t = redis.call('TIME')
            epoch = math.max(tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000), lastEpoch + 1)
            redis.call('SET', KEYS[2], string.format('%.0f', epoch))
            redis.call('SET', KEYS[1], '0')
        end
        return { string.format('%.0f', epoch), redis.call('INCR', KEYS[1]) }
        """;

    private IReadOnlyList<DeploymentHealth> _published = [];
    private DateTimeOffset _publishedAt;
    private long _epoch;
    private long _version;

    protected override async Task RunAsLeaderAsync(CancellationToken ct)
    {
        await RestoreAsync();
        _published = [];
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await PublishIfChangedAsync(ct);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogPublishFailed(logger, ex.Message);
            }
            await trigger.WaitAsync(options.Value.SnapshotInterval, time, ct);
        }
    }

    /// <summary>Evaluates; publishes when something significant changed or the heartbeat is due. Returns the version, or null.</summary>
    public async Task<long?> PublishIfChangedAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var current = health.Evaluate(routing.Current.Deployments);
        var significant = Significant(_published, current);
        if (!significant && now - _publishedAt < options.Value.SnapshotHeartbeat)
        {
            return null;
        }
        var db = redis.GetDatabase();
        var next = (RedisResult[])(await db.ScriptEvaluateAsync(NextVersionScript, [RedisKeys.HealthVersion, RedisKeys.HealthEpoch], [_epoch, _version]))!;
        var (epoch, version) = ((long)next[0], (long)next[1]);
        if (epoch != _epoch && _epoch != 0)
        {
            LogNewEpoch(logger, epoch);
        }
        (_epoch, _version) = (epoch, version);
        var snapshot = new HealthSnapshot { Version = version, Epoch = epoch, UpdatedAt = now, Deployments = current };
        await db.StringSetAsync(RedisKeys.HealthSnapshot, JsonSerializer.Serialize(snapshot, ContractJson.Default.HealthSnapshot));
        await db.PublishAsync(RedisChannel.Literal(RedisKeys.ChangesChannel),
            JsonSerializer.Serialize(new SnapshotChange("health", version), ContractJson.Default.SnapshotChange));
        metrics.Snapshots.Add(1);
        var previous = _published;
        _published = current;
        _publishedAt = now;
        if (significant)
        {
            await AlertTransitionsAsync(previous, current, ct);
        }
        return version;
    }

    private async Task RestoreAsync()
    {
        try
        {
            var json = await redis.GetDatabase().StringGetAsync(RedisKeys.HealthSnapshot);
            if (json.HasValue && JsonSerializer.Deserialize((string)json!, ContractJson.Default.HealthSnapshot) is { } snapshot)
            {
                health.Restore(snapshot);
                // Continue its numbering: a counter found lower than this in the same epoch has gone back.
                if (snapshot.Epoch > _epoch || (snapshot.Epoch == _epoch && snapshot.Version > _version))
                {
                    (_epoch, _version) = (snapshot.Epoch, snapshot.Version);
                }
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or JsonException)
        {
            LogPublishFailed(logger, ex.Message);
        }
    }

    private async Task AlertTransitionsAsync(IReadOnlyList<DeploymentHealth> before, IReadOnlyList<DeploymentHealth> after, CancellationToken ct)
    {
        var old = before.ToDictionary(d => (d.Provider, d.Model));
        foreach (var d in after)
        {
            var prev = old.GetValueOrDefault((d.Provider, d.Model));
            if (prev is null)
            {
                continue; // first sight (e.g. after a take-over): not a transition
            }
            if (d.State != prev.State)
            {
                LogStateChanged(logger, d.Provider, d.Model, prev.State, d.State, d.Circuit);
                if (d.State == HealthState.Down)
                {
                    await alerts.RaiseAsync(AlertKinds.Health, "critical", d.Provider, d.Model,
                        $"deployment is down (error rate {d.ErrorRate:P0} over 5 min); circuit {d.Circuit}", ct);
                }
            }
            if (d.CredentialInvalid && !prev.CredentialInvalid)
            {
                await alerts.RaiseAsync(AlertKinds.Credential, "critical", d.Provider, d.Model,
                    "the provider refused the credential (401/403); refreshing from the secret source", ct);
            }
        }
    }

    private static bool Significant(IReadOnlyList<DeploymentHealth> a, IReadOnlyList<DeploymentHealth> b)
    {
        if (a.Count != b.Count)
        {
            return true;
        }
        for (var i = 0; i < a.Count; i++)
        {
            var x = a[i];
            var y = b[i];
            if (x.Provider != y.Provider || x.Model != y.Model || x.State != y.State || x.Circuit != y.Circuit
                || x.CredentialInvalid != y.CredentialInvalid || x.Demoted != y.Demoted || x.Drift != y.Drift
                || x.RateLimitHeadroom?.RetryAfterUntil != y.RateLimitHeadroom?.RetryAfterUntil
                || Low(x.RateLimitHeadroom) != Low(y.RateLimitHeadroom))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Under a tenth of either limit left: gateways should hear of it now, not at the next heartbeat.</summary>
    private static bool Low(RateLimitHeadroom? h) => h is not null && (h.Requests < 0.1 || h.Tokens < 0.1);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Provider}/{Model}: {Old} -> {New} (circuit {Circuit})")]
    private static partial void LogStateChanged(ILogger logger, string provider, string model, HealthState old, HealthState @new, CircuitState circuit);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Health snapshot versions start a new epoch {Epoch}: Redis lost or rolled back the version counter")]
    private static partial void LogNewEpoch(ILogger logger, long epoch);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Health snapshot: {Error}")]
    private static partial void LogPublishFailed(ILogger logger, string error);
}
