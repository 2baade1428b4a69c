using Microsoft.Extensions.Options;
using Switchboard.Router.Alerts;
using Switchboard.Router.Credentials;
using Switchboard.Router.Extensions;
using Switchboard.Router.Health;
using Switchboard.Router.Leadership;
using Switchboard.Router.Probes;
using Switchboard.Router.Routing;
using Switchboard.Router.Snapshots;

namespace Switchboard.Router.Quality;

/// <summary>
/// Quality work of the leader: canary prompts on a schedule (<c>monitoring.canaryIntervalSeconds</c>), then the
/// threshold check (<c>monitoring.alertBelowScore</c>) that raises quality and drift alerts (and demotes the
/// deployment when <c>monitoring.demoteOnAlert</c>), and the score history written to controldb.
/// Production samples reach <see cref="QualityModel"/> from the outcome stream (the gateway's structure checks).
/// </summary>
internal sealed partial class CanaryRunner(
    LeaderLease lease, RoutingState routing, ProviderClient client, CredentialStore credentials, CanaryMatcher matcher,
    QualityModel quality, QualityStore store, AlertStore alerts, SnapshotTrigger trigger,
    IOptions<RouterOptions> options, TimeProvider time, ILogger<CanaryRunner> logger) : LeaderBackgroundService(lease)
{
    private const int CanaryMaxTokens = 256;

    protected override async Task RunAsLeaderAsync(CancellationToken ct)
    {
        var nextCanary = time.GetUtcNow();
        var nextRecord = time.GetUtcNow() + options.Value.QualityRecordInterval;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var monitoring = routing.Current.Document.Monitoring;
                var now = time.GetUtcNow();
                if (monitoring is { CanaryIntervalSeconds: > 0 } && now >= nextCanary)
                {
                    nextCanary = now + TimeSpan.FromSeconds(monitoring.CanaryIntervalSeconds);
                    await RunCanariesAsync(ct);
                }
                await CheckAsync(ct);
                if (now >= nextRecord)
                {
                    nextRecord = now + options.Value.QualityRecordInterval;
                    await store.AddAsync(quality.Scores(), ct);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogQualityFailed(logger, ex.Message);
            }
            await Task.Delay(TimeSpan.FromSeconds(5), time, ct);
        }
    }

    /// <summary>Runs every canary on every deployment it applies to.</summary>
    public async Task RunCanariesAsync(CancellationToken ct)
    {
        var active = routing.Current;
        var canaries = active.Document.Monitoring?.Canaries ?? [];
        var runs = new List<Task>();
        foreach (var canary in canaries)
        {
            foreach (var d in active.Deployments)
            {
                if (canary.Deployments is { } only && !only.Contains(d.ToString(), StringComparer.Ordinal))
                {
                    continue;
                }
                if (active.Document.Providers.TryGetValue(d.Provider, out var provider))
                {
                    runs.Add(RunAsync(canary, d, provider, ct));
                }
            }
        }
        await Task.WhenAll(runs);
    }

    private async Task RunAsync(Contracts.Routing.CanaryConfig canary, DeploymentKey d, Contracts.Routing.ProviderConfig provider, CancellationToken ct)
    {
        var key = credentials.Lease(d.Provider);
        var response = await client.SendAsync(provider, d.Model, key?.Value, canary.Prompt, CanaryMaxTokens, options.Value.ProbeTimeout, ct);
        if (!response.Success)
        {
            return; // availability is the probes' business; quality judges answers only
        }
        var passed = matcher.Matches(canary, response.Text);
        quality.RecordCanary(d, passed, response.DriftFrom(d.Model) ? response.ModelReported : null);
        if (!passed)
        {
            LogCanaryFailed(logger, canary.Name, d.ToString());
        }
    }

    /// <summary>Raises alerts for deployments whose score just crossed under the threshold or that drifted.</summary>
    public async Task CheckAsync(CancellationToken ct)
    {
        var monitoring = routing.Current.Document.Monitoring ?? new Contracts.Routing.MonitoringConfig();
        var (degraded, drifted) = quality.Check(monitoring.AlertBelowScore, monitoring.DemoteOnAlert);
        foreach (var s in degraded)
        {
            await alerts.RaiseAsync(AlertKinds.Quality, "warning", s.Provider, s.Model,
                $"quality score {s.Score:0.00} is under {monitoring.AlertBelowScore:0.00} (canaries {s.CanaryPassed}/{s.CanaryRuns} passed, "
                + $"{s.StructureFailures}/{s.Sampled} sampled answers malformed){(monitoring.DemoteOnAlert ? "; demoted in routing" : "")}", ct);
        }
        foreach (var s in drifted)
        {
            await alerts.RaiseAsync(AlertKinds.Drift, "warning", s.Provider, s.Model,
                $"upstream reports model '{s.DriftModel}' instead of the pinned '{s.Model}'", ct);
        }
        if (degraded.Count > 0 || drifted.Count > 0)
        {
            trigger.Request();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Canary {Canary} failed on {Deployment}")]
    private static partial void LogCanaryFailed(ILogger logger, string canary, string deployment);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Quality round failed: {Error}")]
    private static partial void LogQualityFailed(ILogger logger, string error);
}
