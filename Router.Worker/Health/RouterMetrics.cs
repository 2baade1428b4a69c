using System.Diagnostics.Metrics;

namespace Switchboard.Router.Health;

/// <summary>Router.Worker's own instruments (meter <c>Switchboard.Router</c>).</summary>
internal sealed class RouterMetrics
{
    public const string MeterName = "Switchboard.Router";
    public const string OutcomesProcessed = "switchboard.router.outcomes.processed";
    public const string OutcomesDeadLettered = "switchboard.router.outcomes.dead_lettered";
    public const string OutcomesClaimed = "switchboard.router.outcomes.claimed";
    public const string SnapshotsPublished = "switchboard.router.snapshots.published";

    public RouterMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(MeterName);
        Processed = meter.CreateCounter<long>(OutcomesProcessed, "{event}", "Outcome events applied to the health model");
        DeadLettered = meter.CreateCounter<long>(OutcomesDeadLettered, "{event}", "Outcome events that could not be read");
        Claimed = meter.CreateCounter<long>(OutcomesClaimed, "{event}", "Pending events claimed from a dead consumer");
        Snapshots = meter.CreateCounter<long>(SnapshotsPublished, "{snapshot}", "Health snapshots written to Redis");
    }

    public Counter<long> Processed { get; }
    public Counter<long> DeadLettered { get; }
    public Counter<long> Claimed { get; }
    public Counter<long> Snapshots { get; }
}
