namespace Switchboard.Router.Extensions;

/// <summary>Router.Worker settings (section <c>Switchboard:Router</c>); defaults suit production.</summary>
public sealed record RouterOptions
{
    public const string Section = "Switchboard:Router";

    /// <summary>Unique id of this replica (lease owner, stream consumer name).</summary>
    public string InstanceId { get; set; } = $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid():N}";

    /// <summary>Lease time to live: a dead leader is replaced at most this long (plus one retry) later.</summary>
    public TimeSpan LeaseTtl { get; set; } = TimeSpan.FromSeconds(10);
    /// <summary>How often the leader renews and followers try to take the lease.</summary>
    public TimeSpan LeaseRenewInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Health evaluation tick; a state change is published sooner (on the batch that caused it).</summary>
    public TimeSpan SnapshotInterval { get; set; } = TimeSpan.FromSeconds(1);
    /// <summary>A snapshot is re-published at least this often even when nothing changed.</summary>
    public TimeSpan SnapshotHeartbeat { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Entries read per XREADGROUP.</summary>
    public int StreamBatchSize { get; set; } = 1000;
    /// <summary>Pause when the stream is empty (StackExchange.Redis has no blocking read).</summary>
    public TimeSpan StreamPollDelay { get; set; } = TimeSpan.FromMilliseconds(50);
    /// <summary>Pending entries idle longer than this (their consumer died) are claimed.</summary>
    public TimeSpan ClaimMinIdle { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>How often pending entries of other consumers are checked.</summary>
    public TimeSpan ClaimInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Scheduled credential refresh.</summary>
    public TimeSpan CredentialRefreshInterval { get; set; } = TimeSpan.FromMinutes(5);
    /// <summary>On-demand refreshes of one provider are at least this far apart (a burst of 401s is one refresh).</summary>
    public TimeSpan CredentialRefreshDebounce { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Timeout of one probe or canary request.</summary>
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(15);
    /// <summary>Quality scores are stored in controldb this often.</summary>
    public TimeSpan QualityRecordInterval { get; set; } = TimeSpan.FromMinutes(1);
    /// <summary>The leader re-asserts the published routing document and keys in Redis this often.</summary>
    public TimeSpan ReconcileInterval { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>Outcome events every consumer group has acknowledged are kept this long, then trimmed from the stream.</summary>
    public TimeSpan OutcomesRetention { get; set; } = TimeSpan.FromMinutes(10);
    /// <summary>How often the leader trims the outcomes stream.</summary>
    public TimeSpan OutcomesTrimInterval { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>Health thresholds and hysteresis (section <c>Switchboard:Health</c>).</summary>
public sealed record HealthOptions
{
    public const string Section = "Switchboard:Health";

    /// <summary>Degraded when the 5-minute error rate is above this.</summary>
    public double DegradedErrorRate { get; set; } = 0.05;
    /// <summary>Down when the 1-minute error rate is above this.</summary>
    public double DownErrorRate { get; set; } = 0.5;
    /// <summary>Error rates decide nothing under this many attempts in the window.</summary>
    public int MinSamples { get; set; } = 10;
    /// <summary>Down after this many failures in a row (probes included).</summary>
    public int DownConsecutiveFailures { get; set; } = 3;
    /// <summary>Degraded when the 5-minute p95 time to first token is above this (ms).</summary>
    public double DegradedTtftP95Ms { get; set; } = 5000;
    /// <summary>A better state is taken only after its condition has held this long.</summary>
    public TimeSpan HoldTime { get; set; } = TimeSpan.FromSeconds(60);
    /// <summary>An open circuit turns half-open after this.</summary>
    public TimeSpan CircuitCooldown { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>No headroom for this long after a 429 that came without Retry-After.</summary>
    public TimeSpan RateLimitedWait { get; set; } = TimeSpan.FromSeconds(5);
    /// <summary>Rate-limit headroom older than this is no longer published (null: unknown).</summary>
    public TimeSpan HeadroomMaxAge { get; set; } = TimeSpan.FromMinutes(2);
}
