namespace Switchboard.Metrics.Data;

/// <summary>
/// Per bucket (minute or hour) and per provider, model, route, key and task: request and error counts, cost split,
/// and the latency and TTFT histograms packed as <see cref="Rollups.LatencyHistogram.Pack"/> writes them.
/// An empty key name or task is stored as "".
/// </summary>
internal abstract class RollupRow
{
    public DateTimeOffset Bucket { get; set; }
    public required string Provider { get; set; }
    public required string Model { get; set; }
    public required string Route { get; set; }
    public required string KeyName { get; set; }
    public required string Task { get; set; }
    public long Requests { get; set; }
    public long Errors { get; set; }
    public long Attempts { get; set; }
    public long AttemptFailures { get; set; }
    public decimal CostUsd { get; set; }
    public decimal UsefulCostUsd { get; set; }
    public decimal HedgeCostUsd { get; set; }
    public decimal RetryCostUsd { get; set; }
    public long InputTokens { get; set; }
    public long OutputTokens { get; set; }
    public long CachedInputTokens { get; set; }
    public long ReasoningTokens { get; set; }
    public long[]? LatencyHist { get; set; }
    public long[]? TtftHist { get; set; }
}

/// <summary>A rollup row of one minute (<c>rollup_minute</c>).</summary>
internal sealed class MinuteRollup : RollupRow;

/// <summary>A rollup row of one hour (<c>rollup_hour</c>).</summary>
internal sealed class HourRollup : RollupRow;
