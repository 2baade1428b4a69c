using System.Diagnostics.Metrics;

namespace Switchboard.Metrics.Ingestion;

/// <summary>Ingestion instruments (meter <c>Switchboard.Metrics</c>) and totals the bench and tests read.</summary>
internal sealed class IngestionMetrics
{
    public const string MeterName = "Switchboard.Metrics";
    public const string Inserted = "switchboard.metrics.ingest.inserted";
    public const string Duplicates = "switchboard.metrics.ingest.duplicates";
    public const string DeadLettered = "switchboard.metrics.ingest.dead_lettered";
    public const string BatchDuration = "switchboard.metrics.ingest.batch.duration";
    public const string FastBurnAlerts = "switchboard.metrics.slo.fast_burn_alerts";

    private readonly Counter<long> _inserted;
    private readonly Counter<long> _duplicates;
    private readonly Counter<long> _deadLettered;
    private readonly Histogram<double> _batchDuration;
    private long _insertedTotal;
    private long _deadLetteredTotal;

    public IngestionMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _inserted = meter.CreateCounter<long>(Inserted, "{event}", "Outcome events stored in the request log");
        _duplicates = meter.CreateCounter<long>(Duplicates, "{event}", "Replayed outcome events that were already stored");
        _deadLettered = meter.CreateCounter<long>(DeadLettered, "{event}", "Poison outcome events moved to the dead-letter stream");
        _batchDuration = meter.CreateHistogram<double>(BatchDuration, "s", "Time to store one batch");
        FastBurn = meter.CreateCounter<long>(FastBurnAlerts, "{alert}", "SLO fast-burn alerts raised");
    }

    public Counter<long> FastBurn { get; }

    public long InsertedTotal => Interlocked.Read(ref _insertedTotal);

    public long DeadLetteredTotal => Interlocked.Read(ref _deadLetteredTotal);

    public void Batch(BatchResult result, TimeSpan elapsed)
    {
        _inserted.Add(result.Inserted);
        _duplicates.Add(result.Duplicates);
        _batchDuration.Record(elapsed.TotalSeconds);
        Interlocked.Add(ref _insertedTotal, result.Inserted);
    }

    public void DeadLetter(int count)
    {
        _deadLettered.Add(count);
        Interlocked.Add(ref _deadLetteredTotal, count);
    }
}
