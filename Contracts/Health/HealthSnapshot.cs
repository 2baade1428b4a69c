using System.Text.Json.Serialization;

namespace Switchboard.Contracts.Health;

/// <summary>Router.Worker's view of every deployment, written to Redis and applied by every gateway.</summary>
public sealed record HealthSnapshot
{
    /// <summary>Monotonic version within an <see cref="Epoch"/>; a gateway ignores a snapshot older than the one it holds (see <see cref="Supersedes"/>).</summary>
    public required long Version { get; init; }
    /// <summary>
    /// When the version counter started, in Unix milliseconds (0 from writers that predate it). Redis losing the
    /// counter (a restart without persistence, FLUSHALL, a restore of an older dump) starts a new, later epoch, so
    /// versions that restart at 1 do not look older than what gateways hold.
    /// </summary>
    public long Epoch { get; init; }
    /// <summary>When the worker computed it.</summary>
    public required DateTimeOffset UpdatedAt { get; init; }
    /// <summary>One entry per provider + model.</summary>
    public required IReadOnlyList<DeploymentHealth> Deployments { get; init; }

    /// <summary>
    /// True when this snapshot should replace <paramref name="held"/>: none is held, this one is of a later epoch,
    /// or of the same epoch with a version not lower.
    /// </summary>
    public bool Supersedes(HealthSnapshot? held) =>
        held is null || Epoch > held.Epoch || (Epoch == held.Epoch && Version >= held.Version);
}

/// <summary>Health of one deployment (provider + pinned model); the shape of <c>GET /api/health</c> entries.</summary>
public sealed record DeploymentHealth
{
    /// <summary>Provider name.</summary>
    public required string Provider { get; init; }
    /// <summary>Pinned model.</summary>
    public required string Model { get; init; }
    /// <summary>healthy, degraded or down.</summary>
    public required HealthState State { get; init; }
    /// <summary>closed, open or half-open.</summary>
    public required CircuitState Circuit { get; init; }
    /// <summary>Requests per minute over the last minute.</summary>
    public double RequestsPerMin { get; init; }
    /// <summary>Share of failed attempts over the last five minutes (0..1).</summary>
    public double ErrorRate { get; init; }
    /// <summary>Time to first token percentiles, ms.</summary>
    public Percentiles TtftMs { get; init; } = Percentiles.Empty;
    /// <summary>Attempt latency percentiles, ms.</summary>
    public Percentiles LatencyMs { get; init; } = Percentiles.Empty;
    /// <summary>Remaining share of the provider's rate limit (0..1), when known.</summary>
    public RateLimitHeadroom? RateLimitHeadroom { get; init; }
    /// <summary>True while the provider credential is known to be refused.</summary>
    public bool CredentialInvalid { get; init; }
    /// <summary>Quality score (0..1) from canaries and sampled answers, when measured.</summary>
    public double? QualityScore { get; init; }
    /// <summary>
    /// Canary prompts counted in <see cref="QualityScore"/>: Router.Worker's rolling window of the last 50 canary runs
    /// of this deployment (0 when none ran). Runs that got no answer are availability, not quality, and are not counted.
    /// </summary>
    public int CanaryRuns { get; init; }
    /// <summary>Of <see cref="CanaryRuns"/>, the runs whose answer matched the canary's expectation.</summary>
    public int CanaryPassed { get; init; }
    /// <summary>True when routing should try this deployment last.</summary>
    public bool Demoted { get; init; }
    /// <summary>True when the upstream reported another model than the pinned one.</summary>
    public bool Drift { get; init; }
    /// <summary>When this entry was last recomputed.</summary>
    public required DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>p50/p95/p99 in milliseconds (null when there is no data).</summary>
public sealed record Percentiles(double? P50, double? P95, double? P99)
{
    /// <summary>No data.</summary>
    public static readonly Percentiles Empty = new(null, null, null);
}

/// <summary>
/// Remaining share (0..1) of requests and tokens before the provider's limit, from the latest attempt that reported
/// its rate-limit headers. While the provider asked to wait (a 429, or <c>Retry-After</c>), both are 0 until
/// <see cref="RetryAfterUntil"/>.
/// </summary>
public sealed record RateLimitHeadroom(double? Requests, double? Tokens)
{
    /// <summary>When the provider reported these values (the end of the attempt that carried them).</summary>
    public DateTimeOffset? ObservedAt { get; init; }
    /// <summary>Age of the values when this entry was computed, in milliseconds.</summary>
    public double? AgeMs { get; init; }
    /// <summary>Set while the provider asked to wait: no headroom until then.</summary>
    public DateTimeOffset? RetryAfterUntil { get; init; }
}

/// <summary>Health state with hysteresis.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<HealthState>))]
public enum HealthState
{
    /// <summary>Serving within its objectives.</summary>
    [JsonStringEnumMemberName("healthy")] Healthy,
    /// <summary>Serving, but slower or failing more than it should.</summary>
    [JsonStringEnumMemberName("degraded")] Degraded,
    /// <summary>Not serving.</summary>
    [JsonStringEnumMemberName("down")] Down,
}

/// <summary>Circuit breaker state.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<CircuitState>))]
public enum CircuitState
{
    /// <summary>Traffic flows.</summary>
    [JsonStringEnumMemberName("closed")] Closed,
    /// <summary>No traffic until the cooldown ends.</summary>
    [JsonStringEnumMemberName("open")] Open,
    /// <summary>A trial request is allowed.</summary>
    [JsonStringEnumMemberName("half-open")] HalfOpen,
}

/// <summary>Message published on <see cref="Redis.RedisKeys.ChangesChannel"/> when a snapshot changes.</summary>
public sealed record SnapshotChange(string Kind, long Version);

/// <summary>Published by a gateway when a provider refused its credential, so the worker refreshes it.</summary>
public sealed record CredentialReport(string Provider, int Status, DateTimeOffset At, string? Gateway);
