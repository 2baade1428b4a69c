namespace Switchboard.Gateway.Configuration;

/// <summary>Process-level settings of the gateway (section <c>Switchboard:Gateway</c>), not part of the routing document.</summary>
internal sealed class GatewayOptions
{
    public const string Section = "Switchboard:Gateway";

    /// <summary>Largest request body accepted; larger is 413.</summary>
    public long MaxRequestBodyBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Outcome events buffered in memory before new ones are dropped (and counted).</summary>
    public int OutcomeBufferCapacity { get; set; } = 20_000;

    /// <summary>Events per XADD batch.</summary>
    public int OutcomeBatchSize { get; set; } = 256;

    /// <summary>
    /// Longest silence of an upstream between two chunks once a stream is being relayed; past it the client gets
    /// the OpenAI error event and no <c>[DONE]</c>, and the attempt counts as a timeout. 0 turns it off.
    /// </summary>
    public int StreamIdleTimeoutMs { get; set; } = 60_000;

    /// <summary>How long the outcome writer lets a batch gather before writing it (0: write at once).</summary>
    public int OutcomeFlushDelayMs { get; set; } = 10;

    /// <summary>Base delay of the exponential backoff before retrying a target that already failed.</summary>
    public int RetryBaseDelayMs { get; set; } = 250;

    /// <summary>Longest wait before a retry, Retry-After included.</summary>
    public int RetryMaxDelayMs { get; set; } = 5_000;

    /// <summary>Consecutive failures that open a deployment's passive circuit.</summary>
    public int CircuitFailureThreshold { get; set; } = 5;

    /// <summary>How long an opened passive circuit stays open before a trial request.</summary>
    public int CircuitBreakMs { get; set; } = 30_000;

    /// <summary>Debounce of routing file changes (editors write in several steps).</summary>
    public int ReloadDebounceMs { get; set; } = 200;

    /// <summary>Longest the hot path waits for a shared-state (Redis) answer before using local state.</summary>
    public int SharedStateTimeoutMs { get; set; } = 250;

    /// <summary>Extra upstream attempts (hedges, retries of a target already tried) allowed, as a share of first attempts.</summary>
    public double RetryBudgetRatio { get; set; } = 0.2;

    /// <summary>Extra attempts always allowed per retry-budget window, so a quiet gateway can still hedge and retry.</summary>
    public int RetryBudgetMinPerWindow { get; set; } = 10;

    /// <summary>Sliding window of the retry budget.</summary>
    public int RetryBudgetWindowMs { get; set; } = 10_000;

    /// <summary>How long a provider credential refused with 401/403 is skipped (unless re-read and changed).</summary>
    public int CredentialRefusedMs { get; set; } = 60_000;

    /// <summary>Id of this gateway process on outcome events.</summary>
    public string? InstanceId { get; set; }
}
