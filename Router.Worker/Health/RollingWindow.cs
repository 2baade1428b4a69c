using HdrHistogram;
using Switchboard.Contracts.Health;
using Switchboard.Contracts.Outcomes;

namespace Switchboard.Router.Health;

/// <summary>One attempt as the health model sees it (client traffic or a probe).</summary>
internal readonly record struct HealthSample(
    DateTimeOffset At, AttemptOutcome Outcome, ErrorClass? Error, double LatencyMs, double? TtftMs, bool Probe)
{
    public bool Success => Outcome == AttemptOutcome.Success;

    /// <summary>Failures the provider is responsible for; client errors and client cancellations are not.</summary>
    public bool ProviderFailure => Outcome == AttemptOutcome.Failure && Error is not (ErrorClass.ClientError or ErrorClass.ClientCancelled);
}

/// <summary>Aggregates over one window.</summary>
internal sealed record WindowStats(
    TimeSpan Window,
    long Requests,
    long Probes,
    long Successes,
    long Failures,
    IReadOnlyDictionary<ErrorClass, long> ErrorsByClass,
    Percentiles LatencyMs,
    Percentiles TtftMs)
{
    /// <summary>Attempts that count for rates: successes and provider failures (client traffic and probes).</summary>
    public long Counted => Successes + Failures;
    /// <summary>Client requests per minute (probes excluded: they are not traffic).</summary>
    public double RequestsPerMin => Requests / Window.TotalMinutes;
    /// <summary>Provider failures over counted attempts.</summary>
    public double ErrorRate => Counted == 0 ? 0 : (double)Failures / Counted;
    /// <summary>Share of attempts the provider served; rate limiting is the caller's budget, not an outage.</summary>
    public double Availability => Counted == 0 ? 1 :
        1 - (double)(Failures - ErrorsByClass.GetValueOrDefault(ErrorClass.RateLimited)) / Counted;
}

/// <summary>
/// Rolling windows of one deployment: 10-second buckets covering five minutes (for the 1- and 5-minute
/// windows) and 1-minute buckets covering an hour, each with counters and mergeable HdrHistograms of latency
/// and time to first token (2 significant digits: at most 1% relative error). Not thread-safe: the owner locks.
/// </summary>
internal sealed class RollingWindow
{
    private const long HighestMs = 600_000;
    private const int Digits = 2;
    private static readonly int ErrorClassCount = Enum.GetValues<ErrorClass>().Length;

    private readonly Ring _fine = new(TimeSpan.FromSeconds(10), 30);
    private readonly Ring _coarse = new(TimeSpan.FromMinutes(1), 60);
    private readonly LongHistogram _scratchLatency = new(1, HighestMs, Digits);
    private readonly LongHistogram _scratchTtft = new(1, HighestMs, Digits);

    public void Record(in HealthSample sample)
    {
        _fine.Record(sample);
        _coarse.Record(sample);
    }

    public WindowStats Compute(DateTimeOffset now, TimeSpan window) =>
        window <= _fine.Span ? Compute(_fine, now, window) : Compute(_coarse, now, window);

    private WindowStats Compute(Ring ring, DateTimeOffset now, TimeSpan window)
    {
        var nowIndex = ring.IndexOf(now);
        var buckets = (long)Math.Ceiling(window / ring.Width);
        long requests = 0, probes = 0, successes = 0, failures = 0;
        var errors = new long[ErrorClassCount];
        _scratchLatency.Reset();
        _scratchTtft.Reset();
        foreach (var b in ring.Buckets)
        {
            if (b is null || b.Index > nowIndex || b.Index <= nowIndex - buckets)
            {
                continue;
            }
            requests += b.Requests;
            probes += b.Probes;
            successes += b.Successes;
            failures += b.Failures;
            for (var i = 0; i < errors.Length; i++)
            {
                errors[i] += b.Errors[i];
            }
            if (b.Latency is not null)
            {
                _scratchLatency.Add(b.Latency);
            }
            if (b.Ttft is not null)
            {
                _scratchTtft.Add(b.Ttft);
            }
        }
        var byClass = new Dictionary<ErrorClass, long>();
        for (var i = 0; i < errors.Length; i++)
        {
            if (errors[i] > 0)
            {
                byClass[(ErrorClass)i] = errors[i];
            }
        }
        return new(window, requests, probes, successes, failures, byClass, PercentilesOf(_scratchLatency), PercentilesOf(_scratchTtft));
    }

    private static Percentiles PercentilesOf(LongHistogram h) => h.TotalCount == 0
        ? Percentiles.Empty
        : new(h.GetValueAtPercentile(50), h.GetValueAtPercentile(95), h.GetValueAtPercentile(99));

    private static long ToMs(double ms) => Math.Clamp((long)Math.Round(ms), 1, HighestMs);

    private sealed class Ring(TimeSpan width, int count)
    {
        public TimeSpan Width { get; } = width;
        public TimeSpan Span { get; } = width * count;
        public Bucket?[] Buckets { get; } = new Bucket?[count];

        public long IndexOf(DateTimeOffset at) => at.UtcTicks / Width.Ticks;

        public void Record(in HealthSample s)
        {
            var index = IndexOf(s.At);
            var slot = (int)(index % Buckets.Length);
            var b = Buckets[slot] ??= new Bucket(ErrorClassCount);
            if (b.Index != index)
            {
                if (b.Index > index)
                {
                    return; // older than the ring covers
                }
                b.Reset(index);
            }
            b.Add(s);
        }
    }

    private sealed class Bucket(int errorClasses)
    {
        public long Index { get; private set; } = -1;
        public long Requests { get; private set; }
        public long Probes { get; private set; }
        public long Successes { get; private set; }
        public long Failures { get; private set; }
        public long[] Errors { get; } = new long[errorClasses];
        public LongHistogram? Latency { get; private set; }
        public LongHistogram? Ttft { get; private set; }

        public void Reset(long index)
        {
            Index = index;
            Requests = Probes = Successes = Failures = 0;
            Array.Clear(Errors);
            Latency?.Reset();
            Ttft?.Reset();
        }

        public void Add(in HealthSample s)
        {
            if (s.Probe)
            {
                Probes++;
            }
            else
            {
                Requests++;
            }
            if (s.Success)
            {
                Successes++;
                (Latency ??= new LongHistogram(1, HighestMs, Digits)).RecordValue(ToMs(s.LatencyMs));
            }
            else if (s.ProviderFailure)
            {
                Failures++;
                Errors[(int)s.Error.GetValueOrDefault(ErrorClass.ServerError)]++;
            }
            if (s.TtftMs is { } ttft)
            {
                (Ttft ??= new LongHistogram(1, HighestMs, Digits)).RecordValue(ToMs(ttft));
            }
        }
    }
}
