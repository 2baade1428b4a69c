using Switchboard.Contracts.Outcomes;

namespace Switchboard.Metrics.Rollups;

/// <summary>Sums of one rollup cell (or one query group): counts, cost split, tokens and the two histograms.</summary>
internal sealed class RollupAccumulator
{
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
    /// <param name="dense">True for query groups (few, each merging many rows); false for ingestion deltas (many, small).</param>
    public RollupAccumulator(bool dense = false)
    {
        Latency = new LatencyHistogram(dense);
        Ttft = new LatencyHistogram(dense);
    }

    public LatencyHistogram Latency { get; }
    public LatencyHistogram Ttft { get; }

    public void AddEvent(OutcomeEvent e) => AddAttempt(new AttemptFacts(
        Accounting.IsCounted(e), e.ClientStatus, e.ClientLatencyMs, e.ClientTtftMs, e.Outcome, e.Winner, e.Error,
        e.CostUsd, e.InputTokens, e.OutputTokens, e.CachedInputTokens, e.ReasoningTokens));

    public void AddAttempt(in AttemptFacts a)
    {
        Attempts++;
        if (Accounting.IsAttemptFailure(a.Outcome, a.Error))
        {
            AttemptFailures++;
        }
        CostUsd += a.CostUsd;
        switch (Accounting.CostKindOf(a.Outcome, a.Winner, a.Error))
        {
            case CostKind.Hedge: HedgeCostUsd += a.CostUsd; break;
            case CostKind.Retry: RetryCostUsd += a.CostUsd; break;
            default: UsefulCostUsd += a.CostUsd; break;
        }
        InputTokens += a.InputTokens;
        OutputTokens += a.OutputTokens;
        CachedInputTokens += a.CachedInputTokens;
        ReasoningTokens += a.ReasoningTokens;
        if (!a.Counted)
        {
            return;
        }
        Requests++;
        if (Accounting.IsRequestError(a.ClientStatus))
        {
            Errors++;
        }
        Latency.Record(a.ClientLatencyMs);
        if (a.ClientTtftMs is { } ttft)
        {
            Ttft.Record(ttft);
        }
    }

    public void Merge(RollupAccumulator other)
    {
        Requests += other.Requests;
        Errors += other.Errors;
        Attempts += other.Attempts;
        AttemptFailures += other.AttemptFailures;
        CostUsd += other.CostUsd;
        UsefulCostUsd += other.UsefulCostUsd;
        HedgeCostUsd += other.HedgeCostUsd;
        RetryCostUsd += other.RetryCostUsd;
        InputTokens += other.InputTokens;
        OutputTokens += other.OutputTokens;
        CachedInputTokens += other.CachedInputTokens;
        ReasoningTokens += other.ReasoningTokens;
        Latency.Merge(other.Latency);
        Ttft.Merge(other.Ttft);
    }

    public double? Availability => Requests == 0 ? null : 1.0 - ((double)Errors / Requests);
}

/// <summary>The facts of one attempt that rollups need, from an event or from a raw row.</summary>
internal readonly record struct AttemptFacts(
    bool Counted,
    int ClientStatus,
    double ClientLatencyMs,
    double? ClientTtftMs,
    AttemptOutcome Outcome,
    bool Winner,
    ErrorClass? Error,
    decimal CostUsd,
    long InputTokens,
    long OutputTokens,
    long CachedInputTokens,
    long ReasoningTokens);

/// <summary>Identity of a rollup cell.</summary>
internal readonly record struct RollupKey(
    DateTimeOffset Bucket, string Provider, string Model, string Route, string KeyName, string Task);

/// <summary>UTC bucket boundaries.</summary>
internal static class TimeBuckets
{
    public static DateTimeOffset FloorMinute(DateTimeOffset t) =>
        new(t.UtcTicks - (t.UtcTicks % TimeSpan.TicksPerMinute), TimeSpan.Zero);

    public static DateTimeOffset FloorHour(DateTimeOffset t) =>
        new(t.UtcTicks - (t.UtcTicks % TimeSpan.TicksPerHour), TimeSpan.Zero);

    public static DateTimeOffset CeilMinute(DateTimeOffset t)
    {
        var floor = FloorMinute(t);
        return floor == t ? floor : floor.AddMinutes(1);
    }

    public static DateTimeOffset CeilHour(DateTimeOffset t)
    {
        var floor = FloorHour(t);
        return floor == t ? floor : floor.AddHours(1);
    }
}
