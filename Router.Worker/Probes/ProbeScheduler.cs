using Microsoft.Extensions.Options;
using Switchboard.Contracts.Outcomes;
using Switchboard.Router.Credentials;
using Switchboard.Router.Extensions;
using Switchboard.Router.Health;
using Switchboard.Router.Leadership;
using Switchboard.Router.Routing;
using Switchboard.Router.Snapshots;

namespace Switchboard.Router.Probes;

/// <summary>
/// Active probes, run by the leader only: every deployment gets one tiny non-streaming request each
/// <c>monitoring.probeIntervalSeconds</c> (default 30; 0 disables) with <c>monitoring.probePrompt</c>. Results go
/// straight into the health model, marked as probes: they never enter the outcomes stream, so Metrics.Service
/// never counts them as client traffic, and they do not add to requestsPerMin. They do count for error rate,
/// consecutive failures and the circuit, which is how a deployment recovers without live traffic and how a
/// dead one is found before users hit it.
/// </summary>
internal sealed partial class ProbeScheduler(
    LeaderLease lease, RoutingState routing, ProviderClient client, CredentialStore credentials, CredentialRefresher refresher,
    HealthModel health, SnapshotTrigger trigger, IOptions<RouterOptions> options, TimeProvider time, ILogger<ProbeScheduler> logger)
    : LeaderBackgroundService(lease)
{
    private const int ProbeMaxTokens = 5;
    private readonly Dictionary<DeploymentKey, DateTimeOffset> _due = [];

    protected override async Task RunAsLeaderAsync(CancellationToken ct)
    {
        _due.Clear();
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await RunDueAsync(ct);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogProbeRoundFailed(logger, ex.Message);
            }
            await Task.Delay(TimeSpan.FromSeconds(1), time, ct);
        }
    }

    /// <summary>Probes every deployment whose turn has come.</summary>
    public async Task RunDueAsync(CancellationToken ct)
    {
        var active = routing.Current;
        var interval = active.Document.Monitoring?.ProbeIntervalSeconds ?? 30;
        if (interval <= 0)
        {
            return;
        }
        var now = time.GetUtcNow();
        var due = active.Deployments.Where(d => !_due.TryGetValue(d, out var at) || at <= now).ToList();
        foreach (var d in due)
        {
            _due[d] = now + TimeSpan.FromSeconds(interval);
        }
        await Task.WhenAll(due.Select(d => ProbeAsync(d, ct)));
    }

    public async Task<ProbeResponse?> ProbeAsync(DeploymentKey deployment, CancellationToken ct)
    {
        var active = routing.Current;
        if (!active.Document.Providers.TryGetValue(deployment.Provider, out var provider))
        {
            return null;
        }
        var prompt = active.Document.Monitoring?.ProbePrompt ?? "Reply with OK.";
        var key = credentials.Lease(deployment.Provider);
        var response = await client.SendAsync(provider, deployment.Model, key?.Value, prompt, ProbeMaxTokens, options.Value.ProbeTimeout, ct);
        var drift = response.Success && response.DriftFrom(deployment.Model) ? response.ModelReported : null;
        health.RecordProbe(deployment, response.Outcome, response.Error, response.LatencyMs, response.Success ? response.LatencyMs : null, drift);
        if (response.Error == ErrorClass.Auth)
        {
            if (key is not null)
            {
                credentials.Refused(deployment.Provider, key);
            }
            refresher.RequestRefresh(deployment.Provider);
        }
        if (!response.Success)
        {
            LogProbeFailed(logger, deployment.ToString(), response.Status, response.Error?.ToString() ?? "?");
        }
        trigger.Request();
        return response;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Probe round failed: {Error}")]
    private static partial void LogProbeRoundFailed(ILogger logger, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Probe of {Deployment} failed: status {Status}, {Error}")]
    private static partial void LogProbeFailed(ILogger logger, string deployment, int status, string error);
}
