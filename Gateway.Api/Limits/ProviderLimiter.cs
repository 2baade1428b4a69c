using System.Collections.Concurrent;
using System.Globalization;
using StackExchange.Redis;
using Switchboard.Contracts.Redis;
using Switchboard.Gateway.Configuration;

namespace Switchboard.Gateway.Limits;

/// <summary>
/// Limits configured per provider in the routing document (<c>requestsPerMinute</c>, <c>tokensPerMinute</c>,
/// <c>maxConcurrency</c>), checked before a target is tried so the gateway routes elsewhere before the provider
/// answers 429.
///
/// Requests and tokens per minute count in fixed one-minute windows (UTC minutes) shared by every replica in
/// Redis (<see cref="RedisKeys.ProviderRate"/><c>:&lt;minute&gt;</c>, one atomic HINCRBY script per attempt). So
/// that the hot path never waits on Redis, the check reads this replica's last view of the shared count (the
/// reply to its own previous increment, plus its own attempts since): another replica's attempts are seen one
/// round trip late. Without Redis the counts are this replica's own. Concurrency is per replica (in-flight
/// attempts in this process): a provider's concurrency limit divided by the replicas is the setting to use.
/// </summary>
internal sealed class ProviderLimiter(SharedRedis redis, TimeProvider timeProvider)
{
    private const string CountScript = """
        local r = redis.call('HINCRBY', KEYS[1], 'r', tonumber(ARGV[1]))
        local t = redis.call('HINCRBY', KEYS[1], 't', tonumber(ARGV[2]))
        redis.call('PEXPIRE', KEYS[1], 120000)
        return {r, t}
        """;

    private readonly ConcurrentDictionary<string, State> _states = new(StringComparer.Ordinal);

    private static bool Limited(ProviderRuntime p) =>
        p.Config.RequestsPerMinute is > 0 || p.Config.TokensPerMinute is > 0 || p.Config.MaxConcurrency is > 0;

    /// <summary>False when a configured limit of the provider is reached.</summary>
    public bool HasHeadroom(ProviderRuntime provider)
    {
        ArgumentNullException.ThrowIfNull(provider);
        if (!Limited(provider) || !_states.TryGetValue(provider.Name, out var s))
        {
            return true;
        }
        var c = provider.Config;
        var minute = Minute();
        lock (s)
        {
            if (c.MaxConcurrency is > 0 and var max && s.InFlight >= max)
            {
                return false;
            }
            if (s.Minute != minute)
            {
                return true;
            }
            if (c.RequestsPerMinute is > 0 and var rpm && Math.Max(s.SharedRequests + s.Unacked, s.Requests) >= rpm)
            {
                return false;
            }
            return c.TokensPerMinute is not (> 0 and var tpm) || Math.Max(s.SharedTokens, s.Tokens) < tpm;
        }
    }

    /// <summary>Counts an attempt starting; the returned lease ends it (once).</summary>
    public ProviderLease? Start(ProviderRuntime provider)
    {
        ArgumentNullException.ThrowIfNull(provider);
        if (!Limited(provider))
        {
            return null;
        }
        var s = _states.GetOrAdd(provider.Name, static _ => new State());
        var minute = Minute();
        lock (s)
        {
            Roll(s, minute);
            s.InFlight++;
            s.Requests++;
            s.Unacked++;
        }
        Share(provider.Name, s, minute, 1, 0);
        return new ProviderLease(this, provider.Name, s);
    }

    /// <summary>Adds the tokens an attempt used (known when the request is accounted).</summary>
    public void RecordTokens(ProviderRuntime provider, long tokens)
    {
        ArgumentNullException.ThrowIfNull(provider);
        if (tokens <= 0 || provider.Config.TokensPerMinute is not > 0 || !_states.TryGetValue(provider.Name, out var s))
        {
            return;
        }
        var minute = Minute();
        lock (s)
        {
            Roll(s, minute);
            s.Tokens += tokens;
        }
        Share(provider.Name, s, minute, 0, tokens);
    }

    internal static void End(State s)
    {
        lock (s)
        {
            s.InFlight--;
        }
    }

    private void Share(string provider, State s, long minute, int requests, long tokens)
    {
        if (redis.Database is not { } db)
        {
            lock (s)
            {
                s.Unacked = 0;
            }
            return;
        }
        var key = RedisKeys.ProviderRate(provider) + ":" + minute.ToString(CultureInfo.InvariantCulture);
        _ = db.ScriptEvaluateAsync(CountScript, [key], [requests, tokens]).ContinueWith(t =>
        {
            lock (s)
            {
                s.Unacked = Math.Max(0, s.Unacked - requests);
                if (t.IsCompletedSuccessfully && s.Minute == minute && (RedisResult[]?)t.Result is [var r, var tk])
                {
                    s.SharedRequests = Math.Max(s.SharedRequests, (long)r);
                    s.SharedTokens = Math.Max(s.SharedTokens, (long)tk);
                }
            }
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private long Minute() => timeProvider.GetUtcNow().ToUnixTimeSeconds() / 60;

    private static void Roll(State s, long minute)
    {
        if (s.Minute != minute)
        {
            s.Minute = minute;
            s.Requests = 0;
            s.Tokens = 0;
            s.SharedRequests = 0;
            s.SharedTokens = 0;
            s.Unacked = 0;
        }
    }

    internal sealed class State
    {
        public long Minute;
        public int InFlight;
        public long Requests;
        public long Tokens;
        public long SharedRequests;
        public long SharedTokens;
        public long Unacked;
    }
}

/// <summary>One attempt counted against a provider's concurrency; ends once.</summary>
internal sealed class ProviderLease(ProviderLimiter owner, string provider, ProviderLimiter.State state)
{
    private int _ended;

    public string Provider { get; } = provider;

    public ProviderLimiter Owner { get; } = owner;

    public void End()
    {
        if (Interlocked.Exchange(ref _ended, 1) == 0)
        {
            ProviderLimiter.End(state);
        }
    }
}
