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

    /// <summary>
    /// p95 time to first token, ms (lowest-latency strategy): Router.Worker's snapshot (all replicas' traffic)
    /// when it has one for the deployment, else this process's own p95 over its last 64 first tokens.
    /// </summary>
    double? TtftMs(string provider, string model);

    /// <summary>True while the provider's credential is known to be refused (401/403), here or by the snapshot.</summary>
    bool CredentialRefused(string provider);

    /// <summary>The provider's credential was re-read and changed: try it again at once.</summary>
    void CredentialRenewed(string provider);

    /// <summary>Applies Router.Worker's snapshot (ignored when older than the one held).</summary>
    void Apply(HealthSnapshot snapshot);
}

/// <summary>
/// Passive health per deployment: consecutive failures open a local circuit for a while (then one trial
/// request is let through), the last 64 TTFTs for a p95; a provider whose credential was refused is skipped
/// for <c>CredentialRefusedMs</c> (or until it is re-read and changed); merged with the last snapshot from Redis.
/// State lives in small per-deployment objects updated with interlocked operations; snapshots swap whole.
/// </summary>
internal sealed class DeploymentHealthTracker(TimeProvider timeProvider, IOptions<GatewayOptions> options) : IDeploymentHealth
{
    private readonly ConcurrentDictionary<(string, string), Passive> _passive = new();
    private readonly ConcurrentDictionary<string, long> _credentialRefusedUntil = new(StringComparer.Ordinal);
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
        if (CredentialRefused(provider))
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
            case AttemptSignal.CredentialRefused:
                _credentialRefusedUntil[provider] = timeProvider.GetTimestamp()
                    + (long)(TimeSpan.FromMilliseconds(options.Value.CredentialRefusedMs).TotalSeconds * timeProvider.TimestampFrequency);
                goto case AttemptSignal.Failure;
            case AttemptSignal.Failure:
            case AttemptSignal.RateLimited:
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
        if (_snapshot is { } s && s.TryGetValue((provider, model), out var h) && h.TtftMs.P95 is { } shared)
        {
            return shared;
        }
        return _passive.TryGetValue((provider, model), out var p) ? p.TtftP95() : null;
    }

    public bool CredentialRefused(string provider)
    {
        if (_credentialRefusedUntil.TryGetValue(provider, out var until))
        {
            if (timeProvider.GetTimestamp() < until)
            {
                return true;
            }
            _credentialRefusedUntil.TryRemove(KeyValuePair.Create(provider, until));
        }
        return false;
    }

    public void CredentialRenewed(string provider) => _credentialRefusedUntil.TryRemove(provider, out _);

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
        private const int Samples = 64;
        public int ConsecutiveFailures;
        public long OpenUntilTicks;
        private readonly double[] _ttft = new double[Samples];
        private int _count;

        public void Smooth(double sample)
        {
            var n = Interlocked.Increment(ref _count);
            Volatile.Write(ref _ttft[(n - 1) % Samples], sample);
        }

        /// <summary>p95 of the last 64 samples (nearest rank); null before the first.</summary>
        public double? TtftP95()
        {
            var n = Math.Min(Volatile.Read(ref _count), Samples);
            if (n == 0)
            {
                return null;
            }
            Span<double> copy = stackalloc double[n];
            for (var i = 0; i < n; i++)
            {
                copy[i] = Volatile.Read(ref _ttft[i]);
            }
            copy.Sort();
            return copy[Math.Min(n - 1, (int)Math.Ceiling(0.95 * n) - 1)];
        }
    }
}
