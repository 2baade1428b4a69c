using System.Collections.Concurrent;

namespace Switchboard.Gateway.Keys;

/// <summary>
/// Per-key admission in this process: requests and tokens per minute (fixed one-minute windows on
/// <see cref="TimeProvider"/>) and the total budget. Tokens and cost are known only after a request, so they
/// count against the key from then on. (A shared, Redis-backed reservation across replicas is issue 5's.)
/// </summary>
internal sealed class KeyLimiter(TimeProvider timeProvider)
{
    private readonly ConcurrentDictionary<string, State> _states = new(StringComparer.Ordinal);

    /// <summary>Null when admitted; otherwise why not and how long to wait.</summary>
    public (string Reason, TimeSpan RetryAfter)? TryAdmit(GatewayKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var c = key.Config;
        if (c.RequestsPerMinute is null && c.TokensPerMinute is null && c.BudgetUsd is null)
        {
            return null;
        }
        var now = timeProvider.GetUtcNow();
        var minute = now.ToUnixTimeSeconds() / 60;
        var untilNextMinute = TimeSpan.FromSeconds(60 - (now.ToUnixTimeSeconds() % 60));
        var s = _states.GetOrAdd(key.Name, static _ => new State());
        lock (s)
        {
            if (c.BudgetUsd is { } budget && s.Spent >= budget)
            {
                return ($"The gateway key '{key.Name}' has used its budget of {budget} USD.", TimeSpan.FromHours(1));
            }
            if (s.Minute != minute)
            {
                s.Minute = minute;
                s.Requests = 0;
                s.Tokens = 0;
            }
            if (c.TokensPerMinute is { } tpm && s.Tokens >= tpm)
            {
                return ($"The gateway key '{key.Name}' is over its limit of {tpm} tokens per minute.", untilNextMinute);
            }
            if (c.RequestsPerMinute is { } rpm && s.Requests >= rpm)
            {
                return ($"The gateway key '{key.Name}' is over its limit of {rpm} requests per minute.", untilNextMinute);
            }
            s.Requests++;
        }
        return null;
    }

    public void Record(string keyName, long tokens, decimal costUsd)
    {
        if (!_states.TryGetValue(keyName, out var s))
        {
            return;
        }
        var minute = timeProvider.GetUtcNow().ToUnixTimeSeconds() / 60;
        lock (s)
        {
            if (s.Minute == minute)
            {
                s.Tokens += tokens;
            }
            s.Spent += costUsd;
        }
    }

    private sealed class State
    {
        public long Minute;
        public int Requests;
        public long Tokens;
        public decimal Spent;
    }
}
