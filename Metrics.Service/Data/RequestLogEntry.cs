namespace Switchboard.Metrics.Data;

/// <summary>One upstream attempt, as stored in <c>request_log</c>; (RequestId, Attempt) is the key.</summary>
internal sealed class RequestLogEntry
{
    public DateTimeOffset StartedAt { get; set; }
    public required string RequestId { get; set; }
    public int Attempt { get; set; }
    public required string Kind { get; set; }
    public bool Hedged { get; set; }
    public string? KeyName { get; set; }
    public required string Route { get; set; }
    public string? Task { get; set; }
    public required string Provider { get; set; }
    public string? ProviderType { get; set; }
    public required string Model { get; set; }
    public string? ModelReported { get; set; }
    public bool Drift { get; set; }
    public bool Stream { get; set; }
    public required string Outcome { get; set; }
    public bool Winner { get; set; }
    /// <summary>True for the one attempt that stands for its request in SLA figures (see SlaCounting).</summary>
    public bool Counted { get; set; }
    public int Status { get; set; }
    public string? ErrorClass { get; set; }
    public string? ErrorMessage { get; set; }
    public double LatencyMs { get; set; }
    public double? TtftMs { get; set; }
    public int ClientStatus { get; set; }
    public double ClientLatencyMs { get; set; }
    public double? ClientTtftMs { get; set; }
    public int Attempts { get; set; }
    public int InputTokens { get; set; }
    public int OutputTokens { get; set; }
    public int CachedInputTokens { get; set; }
    public int CacheWriteTokens { get; set; }
    public int ReasoningTokens { get; set; }
    public bool TokensEstimated { get; set; }
    public decimal CostUsd { get; set; }
    public int? Tier { get; set; }
    public double? Confidence { get; set; }
    public string? Gateway { get; set; }
    public DateTimeOffset IngestedAt { get; set; }
}
