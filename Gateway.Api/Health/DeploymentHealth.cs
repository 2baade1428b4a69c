using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Switchboard.Contracts.Health;
using Switchboard.Gateway.Configuration;

namespace Switchboard.Gateway.Health;

/// <summary>What the attempt pipeline tells health about one finished attempt.</summary>
internal enum AttemptSignal
{
    Success,
    Failure,
    RateLimited,
    CredentialRefused,
    Neutral,
}

/// <summary>
/// Health of a deployment (provider + pinned model) as the router sees it: this process's passive view merged
/// with Router.Worker's snapshot. Routing skips deployments that are not available.
/// </summary>
internal interface IDeploymentHealth
{
    /// <summary>False when the deployment is down, its circuit is open, or its credential is refused.</summary>
    bool IsAvailable(string provider, string model);

    /// <summary>Records the result of one attempt (passive health).</summary>
    void Report(string provider, string model, AttemptSignal signal, TimeSpan latency, TimeSpan? ttft);

    /// <summary>Smoothed time to first token, ms (lowest-latency strategy), when measured.</summary>
    double? TtftMs(string provider, string model);

    /// <summary>Applies Router.Worker's snapshot (ignored when older than the one held).</summary>
    void Apply(HealthSnapshot snapshot);
}

/// <summary>
/// Passive health per deployment: consecutive failures open a local circuit for a while (then one trial
/// request is let through), exponentially smoothed latency and TTFT; merged with the last snapshot from Redis.
/// State lives in small per-deployment objects updated with interlocked operations; snapshots swap whole.
/// </summary>
internal sealed class DeploymentHealthTracker(TimeProvider timeProvider, IOptions<GatewayOptions> options) : IDeploymentHealth
{
    private readonly ConcurrentDictionary<(string, string), Passive> _passive = new();
    private volatile Dictionary<(string, string), DeploymentHealth>? _snapshot;
    private HealthSnapshot? _held;

    public bool IsAvailable(string provider, string model)
    {
        var snap = _snapshot;
        if (snap is not null && snap.TryGetValue((provider, model), out var h)
            && (h.State == HealthState.Down || h.Circuit == CircuitState.Open || h.CredentialInvalid))
        {
            return false;
        }
        if (!_passive.TryGetValue((provider, model), out var p))
        {
            return true;
        }
        var openUntil = Interlocked.Read(ref p.OpenUntilTicks);
        if (openUntil == 0)
        {
            return true;
        }
        var now = timeProvider.GetTimestamp();
        if (now < openUntil)
        {
            return false;
        }
        // Half-open: let one trial through, keep the circuit open for the others until it reports.
        var next = now + (long)(TimeSpan.FromMilliseconds(options.Value.CircuitBreakMs).TotalSeconds * timeProvider.TimestampFrequency);
        return Interlocked.CompareExchange(ref p.OpenUntilTicks, next, openUntil) == openUntil;
    }

    public void Report(string provider, string model, AttemptSignal signal, TimeSpan latency, TimeSpan? ttft)
    {
        var p = _passive.GetOrAdd((provider, model), static _ => new Passive());
        switch (signal)
        {
            case AttemptSignal.Success:
                Interlocked.Exchange(ref p.ConsecutiveFailures, 0);
                Interlocked.Exchange(ref p.OpenUntilTicks, 0);
                if (ttft is { } t)
                {
                    p.Smooth(t.TotalMilliseconds);
                }
                break;
            case AttemptSignal.Failure:
            case AttemptSignal.RateLimited:
            case AttemptSignal.CredentialRefused:
                if (Interlocked.Increment(ref p.ConsecutiveFailures) >= options.Value.CircuitFailureThreshold)
                {
                    var until = timeProvider.GetTimestamp()
                        + (long)(TimeSpan.FromMilliseconds(options.Value.CircuitBreakMs).TotalSeconds * timeProvider.TimestampFrequency);
                    Interlocked.Exchange(ref p.OpenUntilTicks, until);
                }
                break;
            default:
                break;
        }
    }

    public double? TtftMs(string provider, string model)
    {
        if (_passive.TryGetValue((provider, model), out var p) && p.TtftMs > 0)
        {
            return p.TtftMs;
        }
        return _snapshot is { } s && s.TryGetValue((provider, model), out var h) ? h.TtftMs.P95 : null;
    }

    public void Apply(HealthSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        // Epoch, then version: a Redis that lost the counter restarts versions at 1 in a later epoch.
        if (!snapshot.Supersedes(Volatile.Read(ref _held)))
        {
            return;
        }
        var map = new Dictionary<(string, string), DeploymentHealth>(snapshot.Deployments.Count);
        foreach (var d in snapshot.Deployments)
        {
            map[(d.Provider, d.Model)] = d;
        }
        _snapshot = map;
        Volatile.Write(ref _held, snapshot);
    }

    private sealed class Passive
    {
        public int ConsecutiveFailures;
        public long OpenUntilTicks;
        private double _ttft;

        public double TtftMs => Volatile.Read(ref _ttft);

        public void Smooth(double sample)
        {
            var old = Volatile.Read(ref _ttft);
            Volatile.Write(ref _ttft, old == 0 ? sample : (old * 0.8) + (sample * 0.2));
        }
    }
}
