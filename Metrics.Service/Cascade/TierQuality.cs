using System.Text.Json;
using StackExchange.Redis;
using Switchboard.Contracts.Health;
using Switchboard.Contracts.Outcomes;
using Switchboard.Contracts.Redis;

namespace Switchboard.Metrics.Cascade;

/// <summary>
/// One deployment (provider + pinned model) of a cascade tier: the attempts it served at that tier in the window and
/// its quality as Router.Worker measures it now. <see cref="QualityScore"/>, <see cref="CanaryRuns"/> and
/// <see cref="CanaryPassed"/> are null when Router.Worker's health snapshot has no entry for the deployment (not
/// measured); a score can also be null with an entry, when neither canaries nor sampled answers were judged yet.
/// </summary>
internal sealed record TierDeployment(string Provider, string Model, long Attempts, double? QualityScore, int? CanaryRuns, int? CanaryPassed);

/// <summary>
/// The canary quality of a tier, now: <see cref="Score"/> is its deployments' quality scores (0..1) averaged by the
/// attempts each served at the tier in the window (a plain mean when none served any); <see cref="CanaryRuns"/> and
/// <see cref="CanaryPassed"/> add up the canaries behind those scores (Router.Worker keeps the last 50 runs per
/// deployment). <see cref="At"/> is when Router.Worker computed the snapshot they come from.
/// </summary>
internal sealed record TierQuality(double? Score, int CanaryRuns, int CanaryPassed, DateTimeOffset At);

/// <summary>
/// Reads the quality of each deployment from the health snapshot Router.Worker publishes in Redis (the same one every
/// gateway applies), so Router.Worker stays the one owner of canaries and quality scores. A Redis outage or an
/// unreadable snapshot leaves quality unknown (null), never zero.
/// </summary>
internal sealed partial class DeploymentQualitySource(IConnectionMultiplexer redis, ILogger logger)
{
    public async Task<QualityView?> ReadAsync()
    {
        try
        {
            var json = await redis.GetDatabase().StringGetAsync(RedisKeys.HealthSnapshot);
            if (json.IsNullOrEmpty || JsonSerializer.Deserialize((string)json!, ContractJson.Default.HealthSnapshot) is not { } snapshot)
            {
                return null;
            }
            var byDeployment = new Dictionary<(string, string), DeploymentHealth>();
            foreach (var d in snapshot.Deployments)
            {
                byDeployment[(d.Provider, d.Model)] = d;
            }
            return new QualityView(snapshot.UpdatedAt, byDeployment);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or JsonException)
        {
            LogUnreadable(logger, ex);
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Health snapshot unreadable: cascade tiers show no quality")]
    private static partial void LogUnreadable(ILogger logger, Exception exception);
}

/// <summary>The deployments of one health snapshot by (provider, model).</summary>
internal sealed record QualityView(DateTimeOffset At, IReadOnlyDictionary<(string Provider, string Model), DeploymentHealth> Deployments)
{
    public TierDeployment Deployment(string provider, string model, long attempts) =>
        Deployments.TryGetValue((provider, model), out var d)
            ? new TierDeployment(provider, model, attempts, d.QualityScore, d.CanaryRuns, d.CanaryPassed)
            : new TierDeployment(provider, model, attempts, null, null, null);

    /// <summary>The tier's quality from its deployments; null when none of them has a score or a canary run.</summary>
    public TierQuality? Tier(IReadOnlyList<TierDeployment> deployments)
    {
        var scored = deployments.Where(d => d.QualityScore is not null).ToList();
        var runs = deployments.Sum(d => d.CanaryRuns ?? 0);
        if (scored.Count == 0 && runs == 0)
        {
            return null;
        }
        double? score = null;
        if (scored.Count > 0)
        {
            var weight = scored.Sum(d => d.Attempts);
            score = Math.Round(weight == 0
                ? scored.Average(d => d.QualityScore!.Value)
                : scored.Sum(d => d.QualityScore!.Value * d.Attempts) / weight, 4);
        }
        return new TierQuality(score, runs, deployments.Sum(d => d.CanaryPassed ?? 0), At);
    }
}
