using System.Collections.Concurrent;
using Switchboard.Contracts.Outcomes;
using Switchboard.Router.Health;

namespace Switchboard.Router.Quality;

/// <summary>What the health snapshot carries about quality (the canary counts are those <see cref="Score"/> counts).</summary>
internal readonly record struct QualitySignals(double? Score, bool Demoted, bool Drift, int CanaryRuns = 0, int CanaryPassed = 0);

/// <summary>Quality of one deployment at one time (<c>GET /api/quality</c>, stored in controldb).</summary>
internal sealed record QualityScore(
    string Provider, string Model, DateTimeOffset At, double? Score,
    int CanaryRuns, int CanaryPassed, int Sampled, int StructureFailures, double TruncatedRate, string? DriftModel);

/// <summary>
/// Quality per deployment from two sources: canary prompts with expected answers (the last
/// <see cref="History"/> runs) and the structure checks the gateway made on a sample of production answers (the
/// last <see cref="History"/> checked). Score = 0.6 x canary pass rate + 0.4 x structure pass rate (either one
/// alone when only one is measured). The alert has hysteresis: it clears 0.05 above the threshold.
/// </summary>
internal sealed class QualityModel(TimeProvider time)
{
    public const int History = 50;
    private const double ClearMargin = 0.05;
    private readonly ConcurrentDictionary<DeploymentKey, Entry> _entries = new();

    public void RecordCanary(DeploymentKey key, bool passed, string? driftModel)
    {
        var e = _entries.GetOrAdd(key, static _ => new Entry());
        lock (e)
        {
            Push(e.Canaries, passed);
            if (driftModel is not null)
            {
                e.DriftModel = driftModel;
            }
        }
    }

    public void RecordSample(DeploymentKey key, AnswerChecks checks, string? driftModel)
    {
        ArgumentNullException.ThrowIfNull(checks);
        var e = _entries.GetOrAdd(key, static _ => new Entry());
        lock (e)
        {
            var bad = checks.JsonValid == false || checks.Empty || checks.ToolArgumentsValid == false;
            Push(e.Samples, !bad);
            Push(e.Truncated, checks.Truncated);
            if (driftModel is not null)
            {
                e.DriftModel = driftModel;
            }
        }
    }

    public QualitySignals Signals(DeploymentKey key)
    {
        if (!_entries.TryGetValue(key, out var e))
        {
            return default;
        }
        lock (e)
        {
            return new(ScoreOf(e), e.Alerted && e.DemoteOnAlert, e.DriftModel is not null, e.Canaries.Count, e.Canaries.Count(p => p));
        }
    }

    public IReadOnlyList<QualityScore> Scores()
    {
        var now = time.GetUtcNow();
        var list = new List<QualityScore>();
        foreach (var (key, e) in _entries)
        {
            lock (e)
            {
                list.Add(new(key.Provider, key.Model, now, ScoreOf(e), e.Canaries.Count, e.Canaries.Count(p => p),
                    e.Samples.Count, e.Samples.Count(p => !p), e.Truncated.Count == 0 ? 0 : (double)e.Truncated.Count(t => t) / e.Truncated.Count,
                    e.DriftModel));
            }
        }
        return list;
    }

    /// <summary>
    /// Applies the threshold: returns the deployments whose alert just fired (score crossed under it) and
    /// those whose drift was just seen, each once until it clears.
    /// </summary>
    public (IReadOnlyList<QualityScore> Degraded, IReadOnlyList<QualityScore> Drifted) Check(double alertBelow, bool demote)
    {
        var degraded = new List<QualityScore>();
        var drifted = new List<QualityScore>();
        foreach (var score in Scores())
        {
            var e = _entries[new(score.Provider, score.Model)];
            lock (e)
            {
                e.DemoteOnAlert = demote;
                if (score.Score is { } s && s < alertBelow && !e.Alerted)
                {
                    e.Alerted = true;
                    degraded.Add(score);
                }
                else if (e.Alerted && (score.Score is null || score.Score >= alertBelow + ClearMargin))
                {
                    e.Alerted = false;
                }
                if (e.DriftModel is not null && e.DriftModel != e.DriftAlerted)
                {
                    e.DriftAlerted = e.DriftModel;
                    drifted.Add(score);
                }
            }
        }
        return (degraded, drifted);
    }

    private static double? ScoreOf(Entry e)
    {
        double? canary = e.Canaries.Count == 0 ? null : (double)e.Canaries.Count(p => p) / e.Canaries.Count;
        double? structure = e.Samples.Count == 0 ? null : (double)e.Samples.Count(p => p) / e.Samples.Count;
        return (canary, structure) switch
        {
            ({ } c, { } s) => (0.6 * c) + (0.4 * s),
            ({ } c, null) => c,
            (null, { } s) => s,
            _ => null,
        };
    }

    private static void Push(Queue<bool> q, bool value)
    {
        q.Enqueue(value);
        while (q.Count > History)
        {
            q.Dequeue();
        }
    }

    private sealed class Entry
    {
        public Queue<bool> Canaries { get; } = new();
        public Queue<bool> Samples { get; } = new();
        public Queue<bool> Truncated { get; } = new();
        public string? DriftModel { get; set; }
        public string? DriftAlerted { get; set; }
        public bool Alerted { get; set; }
        public bool DemoteOnAlert { get; set; }
    }
}
