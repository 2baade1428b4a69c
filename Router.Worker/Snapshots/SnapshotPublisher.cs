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
/// Write = INCR <see cref="RedisKeys.HealthVersion"/>, SET <see cref="RedisKeys.HealthSnapshot"/>, PUBLISH
/// <c>{kind:"health",version}</c> on <see cref="RedisKeys.ChangesChannel"/>. A new leader starts from the last
/// published states, so a take-over does not flap them.
/// </summary>
internal sealed partial class SnapshotPublisher(
    LeaderLease lease, HealthModel health, RoutingState routing, SnapshotTrigger trigger, IConnectionMultiplexer redis,
    AlertStore alerts, RouterMetrics metrics, IOptions<RouterOptions> options, TimeProvider time, ILogger<SnapshotPublisher> logger)
    : LeaderBackgroundService(lease)
{
    private IReadOnlyList<DeploymentHealth> _published = [];
    private DateTimeOffset _publishedAt;

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
        var version = await db.StringIncrementAsync(RedisKeys.HealthVersion);
        var snapshot = new HealthSnapshot { Version = version, UpdatedAt = now, Deployments = current };
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
            }
        }
        catch (Exception ex) when (ex is RedisException or JsonException)
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
                || x.CredentialInvalid != y.CredentialInvalid || x.Demoted != y.Demoted || x.Drift != y.Drift)
            {
                return true;
            }
        }
        return false;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Provider}/{Model}: {Old} -> {New} (circuit {Circuit})")]
    private static partial void LogStateChanged(ILogger logger, string provider, string model, HealthState old, HealthState @new, CircuitState circuit);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Health snapshot: {Error}")]
    private static partial void LogPublishFailed(ILogger logger, string error);
}
