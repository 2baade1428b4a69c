using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Switchboard.Contracts.Health;
using Switchboard.Contracts.Outcomes;
using Switchboard.Router.Extensions;
using Switchboard.Router.Quality;

namespace Switchboard.Router.Health;

/// <summary>A provider and a pinned model.</summary>
internal readonly record struct DeploymentKey(string Provider, string Model)
{
    public override string ToString() => $"{Provider}/{Model}";
}

/// <summary>The 1-minute, 5-minute and 1-hour windows of one deployment (<c>GET /api/health/{provider}/{model}</c>).</summary>
internal sealed record DeploymentDetail(DeploymentHealth Health, WindowStats OneMinute, WindowStats FiveMinutes, WindowStats OneHour, int ConsecutiveFailures);

/// <summary>
/// Live health of every deployment, fed by outcome events (client traffic) and probe results. Each deployment
/// has its own lock: the stream consumer writes, the snapshot publisher and the API read.
/// </summary>
internal sealed class HealthModel(IOptions<HealthOptions> options, QualityModel quality, TimeProvider time)
{
    private static readonly TimeSpan OneMinute = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan FiveMinutes = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan OneHour = TimeSpan.FromHours(1);

    private readonly ConcurrentDictionary<DeploymentKey, Tracker> _trackers = new();

    public void Record(OutcomeEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var now = time.GetUtcNow();
        var end = e.StartedAt + TimeSpan.FromMilliseconds(Math.Max(0, e.LatencyMs));
        var at = end < now ? end : now;
        var sample = new HealthSample(at, e.Outcome, e.Error, e.LatencyMs, e.TtftMs, e.Kind == AttemptKind.Probe);
        var tracker = Get(new(e.Provider, e.Model));
        tracker.Add(sample, e.Drift ? e.ModelReported ?? "" : null);
        tracker.ObserveLimits(at, e, options.Value.RateLimitedWait);
    }

    public void RecordProbe(DeploymentKey key, AttemptOutcome outcome, ErrorClass? error, double latencyMs, double? ttftMs, string? driftModel)
    {
        var sample = new HealthSample(time.GetUtcNow(), outcome, error, latencyMs, ttftMs, Probe: true);
        Get(key).Add(sample, driftModel);
    }

    /// <summary>A new credential was loaded for a provider: a refused credential is no longer assumed refused.</summary>
    public void CredentialChanged(string provider)
    {
        foreach (var (key, tracker) in _trackers)
        {
            if (key.Provider == provider)
            {
                tracker.ClearCredentialInvalid();
            }
        }
    }

    /// <summary>Takes state and circuit from the last published snapshot (a new leader continues, not restarts).</summary>
    public void Restore(HealthSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var now = time.GetUtcNow();
        foreach (var d in snapshot.Deployments)
        {
            Get(new(d.Provider, d.Model)).Restore(d, now);
        }
    }

    /// <summary>Re-evaluates every deployment (those in the routing document and any seen in traffic).</summary>
    public IReadOnlyList<DeploymentHealth> Evaluate(IEnumerable<DeploymentKey> configured)
    {
        var now = time.GetUtcNow();
        foreach (var key in configured)
        {
            Get(key);
        }
        return [.. _trackers
            .OrderBy(kv => kv.Key.Provider, StringComparer.Ordinal).ThenBy(kv => kv.Key.Model, StringComparer.Ordinal)
            .Select(kv => kv.Value.Evaluate(kv.Key, now, quality.Signals(kv.Key)))];
    }

    public DeploymentDetail? Detail(DeploymentKey key) =>
        _trackers.TryGetValue(key, out var t) ? t.Detail(key, time.GetUtcNow(), quality.Signals(key)) : null;

    public IEnumerable<DeploymentKey> Known => _trackers.Keys;

    private Tracker Get(DeploymentKey key) => _trackers.GetOrAdd(key, static (_, o) => new Tracker(o), options.Value);

    private sealed class Tracker(HealthOptions options)
    {
        private readonly Lock _lock = new();
        private readonly RollingWindow _window = new();
        private readonly HealthStateMachine _machine = new(options);
        private bool _credentialInvalid;
        private string? _driftModel;
        private Headroom _headroom;

        /// <summary>
        /// The provider's rate-limit headers as the gateway read them: the values of the latest attempt (by its end
        /// time, so a late event from another gateway does not overwrite a newer one) and, after a 429 or a
        /// Retry-After, the time until which there is no headroom at all.
        /// </summary>
        public void ObserveLimits(DateTimeOffset at, OutcomeEvent e, TimeSpan rateLimitedWait)
        {
            var rateLimited = e.Error == ErrorClass.RateLimited || e.Status == 429;
            var waitMs = e.RetryAfterMs ?? (rateLimited ? rateLimitedWait.TotalMilliseconds : (double?)null);
            if (e.RequestsLeft is null && e.TokensLeft is null && (waitMs is null || e.Outcome == AttemptOutcome.Success))
            {
                return;
            }
            lock (_lock)
            {
                var h = _headroom;
                if ((e.RequestsLeft is not null || e.TokensLeft is not null) && (h.At is null || at >= h.At))
                {
                    h = h with { At = at, Requests = Share(e.RequestsLeft) ?? h.Requests, Tokens = Share(e.TokensLeft) ?? h.Tokens };
                }
                if (waitMs is { } ms && e.Outcome != AttemptOutcome.Success)
                {
                    var until = at + TimeSpan.FromMilliseconds(Math.Max(0, ms));
                    if (h.Until is null || until > h.Until)
                    {
                        h = h with { Until = until, LimitedAt = at };
                    }
                }
                _headroom = h;
            }
        }

        private static double? Share(double? v) => v is { } x && double.IsFinite(x) ? Math.Clamp(x, 0, 1) : null;

        private RateLimitHeadroom? HeadroomAt(DateTimeOffset now)
        {
            var h = _headroom;
            if (h.Until is { } until && until > now)
            {
                var since = h.LimitedAt ?? now;
                return new RateLimitHeadroom(0, 0) { ObservedAt = since, AgeMs = (now - since).TotalMilliseconds, RetryAfterUntil = until };
            }
            if (h.At is { } at && now - at <= options.HeadroomMaxAge)
            {
                return new RateLimitHeadroom(h.Requests, h.Tokens) { ObservedAt = at, AgeMs = Math.Max(0, (now - at).TotalMilliseconds) };
            }
            return null;
        }

        public void Add(in HealthSample sample, string? driftModel)
        {
            lock (_lock)
            {
                _window.Record(sample);
                _machine.OnAttempt(sample.Success, sample.ProviderFailure, sample.At);
                if (sample.Error == ErrorClass.Auth)
                {
                    _credentialInvalid = true;
                }
                else if (sample.Success)
                {
                    _credentialInvalid = false;
                }
                if (driftModel is not null)
                {
                    _driftModel = driftModel;
                }
                else if (sample.Success)
                {
                    _driftModel = null;
                }
            }
        }

        public void ClearCredentialInvalid()
        {
            lock (_lock)
            {
                _credentialInvalid = false;
            }
        }

        public void Restore(DeploymentHealth d, DateTimeOffset now)
        {
            lock (_lock)
            {
                _machine.Restore(d.State, d.Circuit, now);
                _credentialInvalid = d.CredentialInvalid;
                if (d.RateLimitHeadroom is { } h)
                {
                    _headroom = h.RetryAfterUntil is { } until
                        ? _headroom with { Until = until, LimitedAt = h.ObservedAt }
                        : new Headroom(h.ObservedAt, h.Requests, h.Tokens, null, null);
                }
            }
        }

        public DeploymentHealth Evaluate(DeploymentKey key, DateTimeOffset now, QualitySignals q)
        {
            lock (_lock)
            {
                return EvaluateLocked(key, now, q, out _, out _);
            }
        }

        public DeploymentDetail Detail(DeploymentKey key, DateTimeOffset now, QualitySignals q)
        {
            lock (_lock)
            {
                var health = EvaluateLocked(key, now, q, out var m1, out var m5);
                return new(health, m1, m5, _window.Compute(now, OneHour), _machine.ConsecutiveFailures);
            }
        }

        private DeploymentHealth EvaluateLocked(DeploymentKey key, DateTimeOffset now, QualitySignals q, out WindowStats m1, out WindowStats m5)
        {
            m1 = _window.Compute(now, OneMinute);
            m5 = _window.Compute(now, FiveMinutes);
            _machine.Evaluate(_machine.Candidate(m1, m5), now);
            return new DeploymentHealth
            {
                Provider = key.Provider,
                Model = key.Model,
                State = _machine.State,
                Circuit = _machine.Circuit,
                RequestsPerMin = m1.RequestsPerMin,
                ErrorRate = m5.ErrorRate,
                TtftMs = m5.TtftMs,
                LatencyMs = m5.LatencyMs,
                RateLimitHeadroom = HeadroomAt(now),
                CredentialInvalid = _credentialInvalid,
                QualityScore = q.Score,
                CanaryRuns = q.CanaryRuns,
                CanaryPassed = q.CanaryPassed,
                Demoted = q.Demoted,
                Drift = q.Drift || _driftModel is not null,
                UpdatedAt = now,
            };
        }
    }
}

/// <summary>Latest reported limits of a deployment and, after a 429 / Retry-After, when it may be used again.</summary>
internal readonly record struct Headroom(DateTimeOffset? At, double? Requests, double? Tokens, DateTimeOffset? Until, DateTimeOffset? LimitedAt);
