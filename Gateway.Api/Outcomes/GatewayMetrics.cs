using System.Diagnostics.Metrics;
using Switchboard.Contracts.Outcomes;

namespace Switchboard.Gateway.Outcomes;

/// <summary>Gateway instruments (OpenTelemetry GenAI conventions where one exists).</summary>
internal sealed class GatewayMetrics
{
    public const string MeterName = "Switchboard.Gateway";
    public const string TokenUsage = "gen_ai.client.token.usage";
    public const string OperationDuration = "gen_ai.client.operation.duration";
    public const string TimeToFirstToken = "gen_ai.server.time_to_first_token";
    public const string Attempts = "switchboard.gateway.attempts";
    public const string CostUsd = "switchboard.gateway.cost";
    public const string OutcomesDropped = "switchboard.gateway.outcomes.dropped";
    public const string OutcomesWritten = "switchboard.gateway.outcomes.written";

    private readonly Histogram<long> _tokens;
    private readonly Histogram<double> _duration;
    private readonly Histogram<double> _ttft;
    private readonly Counter<long> _attempts;
    private readonly Counter<double> _cost;
    private readonly Counter<long> _dropped;
    private readonly Counter<long> _written;
    private long _droppedTotal;

    public GatewayMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(MeterName);
        _tokens = meter.CreateHistogram<long>(TokenUsage, "{token}", "Tokens used per attempt");
        _duration = meter.CreateHistogram<double>(OperationDuration, "s", "Attempt duration");
        _ttft = meter.CreateHistogram<double>(TimeToFirstToken, "s", "Time to first token");
        _attempts = meter.CreateCounter<long>(Attempts, "{attempt}", "Upstream attempts by outcome");
        _cost = meter.CreateCounter<double>(CostUsd, "USD", "Cost of upstream attempts");
        _dropped = meter.CreateCounter<long>(OutcomesDropped, "{event}", "Outcome events dropped because the buffer was full");
        _written = meter.CreateCounter<long>(OutcomesWritten, "{event}", "Outcome events written to the Redis stream");
    }

    /// <summary>Outcome events dropped since start.</summary>
    public long DroppedTotal => Interlocked.Read(ref _droppedTotal);

    public void Record(OutcomeEvent e)
    {
        var provider = new KeyValuePair<string, object?>("gen_ai.provider.name", e.Provider);
        var model = new KeyValuePair<string, object?>("gen_ai.request.model", e.Model);
        var outcome = new KeyValuePair<string, object?>("switchboard.outcome", e.Outcome.ToString());
        _attempts.Add(1, provider, model, outcome);
        _duration.Record(e.LatencyMs / 1000, provider, model, outcome);
        if (e.TtftMs is { } ttft)
        {
            _ttft.Record(ttft / 1000, provider, model);
        }
        _tokens.Record(e.InputTokens, provider, model, new("gen_ai.token.type", "input"));
        _tokens.Record(e.OutputTokens, provider, model, new("gen_ai.token.type", "output"));
        if (e.CostUsd > 0)
        {
            _cost.Add((double)e.CostUsd, provider, model);
        }
    }

    public void Dropped()
    {
        Interlocked.Increment(ref _droppedTotal);
        _dropped.Add(1);
    }

    public void Written(int count) => _written.Add(count);
}
