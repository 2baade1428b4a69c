using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Switchboard.Contracts.Redis;
using Switchboard.Gateway.Configuration;
using Switchboard.Gateway.Limits;

namespace Switchboard.Gateway.Keys;

/// <summary>
/// Per-key requests and tokens per minute, shared by every gateway replica through Redis (one atomic script per
/// admission), with this process's counters as the fallback while Redis is down or slow.
///
/// Exact semantics: fixed one-minute windows aligned to UTC minutes (unix seconds / 60, on the gateway's
/// clock). A request is admitted when, in the current window, fewer than <c>requestsPerMinute</c> requests were
/// admitted and fewer than <c>tokensPerMinute</c> tokens were used; admitting counts it at once. Tokens are
/// known only when a request finishes, so they count in the window in which it finished; a request in flight
/// is never cut off. So a key can make up to 2 x RPM requests across a window boundary, and can pass its TPM by
/// the tokens of requests admitted before the window filled. A refusal carries Retry-After = seconds to the
/// next window.
/// </summary>
internal sealed partial class KeyLimiter(SharedRedis redis, TimeProvider timeProvider, IOptions<GatewayOptions> options, ILogger<KeyLimiter> logger)
{
    private const string AdmitScript = """
        local r = tonumber(redis.call('HGET', KEYS[1], 'r') or '0')
        local t = tonumber(redis.call('HGET', KEYS[1], 't') or '0')
        local rpm = tonumber(ARGV[1])
        local tpm = tonumber(ARGV[2])
        if tpm >= 0 and t >= tpm then return 2 end
        if rpm >= 0 and r >= rpm then return 1 end
        redis.call('HINCRBY', KEYS[1], 'r', 1)
        redis.call('PEXPIRE', KEYS[1], 120000)
        return 0
        """;

    private const string TokensScript = """
        redis.call('HINCRBY', KEYS[1], 't', tonumber(ARGV[1]))
        redis.call('PEXPIRE', KEYS[1], 120000)
        return 1
        """;

    private readonly ConcurrentDictionary<string, State> _states = new(StringComparer.Ordinal);
    private int _degraded;

    /// <summary>Null when admitted; otherwise why not and how long to wait.</summary>
    public async ValueTask<(string Reason, TimeSpan RetryAfter)?> TryAdmitAsync(GatewayKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var c = key.Config;
        if (c.RequestsPerMinute is null && c.TokensPerMinute is null)
        {
            return null;
        }
        var now = timeProvider.GetUtcNow();
        var minute = now.ToUnixTimeSeconds() / 60;
        var untilNextMinute = TimeSpan.FromSeconds(60 - (now.ToUnixTimeSeconds() % 60));
        int verdict;
        if (await redis.GetDatabaseAsync().ConfigureAwait(false) is { } db && await SharedAdmitAsync(db, key.Name, minute, c.RequestsPerMinute ?? -1, c.TokensPerMinute ?? -1).ConfigureAwait(false) is { } shared)
        {
            verdict = shared;
        }
        else
        {
            verdict = LocalAdmit(key.Name, minute, c.RequestsPerMinute, c.TokensPerMinute);
        }
        return verdict switch
        {
            0 => null,
            2 => ($"The gateway key '{key.Name}' is over its limit of {c.TokensPerMinute} tokens per minute.", untilNextMinute),
            _ => ($"The gateway key '{key.Name}' is over its limit of {c.RequestsPerMinute} requests per minute.", untilNextMinute),
        };
    }

    /// <summary>Counts the tokens of a finished request in the current window.</summary>
    public async ValueTask RecordTokensAsync(GatewayKey key, long tokens)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Config.TokensPerMinute is null || tokens <= 0)
        {
            return;
        }
        var minute = timeProvider.GetUtcNow().ToUnixTimeSeconds() / 60;
        var s = _states.GetOrAdd(key.Name, static _ => new State());
        lock (s)
        {
            Roll(s, minute);
            s.Tokens += tokens;
        }
        if (await redis.GetDatabaseAsync().ConfigureAwait(false) is { } db)
        {
            try
            {
                await db.ScriptEvaluateAsync(TokensScript, [WindowKey(key.Name, minute)], [tokens]).WaitAsync(Timeout, timeProvider).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
            {
                Degraded(ex.Message);
            }
        }
    }

    private async ValueTask<int?> SharedAdmitAsync(IDatabase db, string name, long minute, int rpm, int tpm)
    {
        try
        {
            var verdict = (int)await db.ScriptEvaluateAsync(AdmitScript, [WindowKey(name, minute)], [rpm, tpm]).WaitAsync(Timeout, timeProvider).ConfigureAwait(false);
            Interlocked.Exchange(ref _degraded, 0);
            if (verdict == 0)
            {
                // Keep the local view warm, so a fall-back starts from about where the shared count was.
                var s = _states.GetOrAdd(name, static _ => new State());
                lock (s)
                {
                    Roll(s, minute);
                    s.Requests++;
                }
            }
            return verdict;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
            Degraded(ex.Message);
            return null;
        }
    }

    private int LocalAdmit(string name, long minute, int? rpm, int? tpm)
    {
        var s = _states.GetOrAdd(name, static _ => new State());
        lock (s)
        {
            Roll(s, minute);
            if (tpm is { } t && s.Tokens >= t)
            {
                return 2;
            }
            if (rpm is { } r && s.Requests >= r)
            {
                return 1;
            }
            s.Requests++;
            return 0;
        }
    }

    private static void Roll(State s, long minute)
    {
        if (s.Minute != minute)
        {
            s.Minute = minute;
            s.Requests = 0;
            s.Tokens = 0;
        }
    }

    internal static string WindowKey(string name, long minute) => RedisKeys.KeyRate(name) + ":" + minute.ToString(CultureInfo.InvariantCulture);

    private TimeSpan Timeout => TimeSpan.FromMilliseconds(options.Value.SharedStateTimeoutMs);

    private void Degraded(string reason)
    {
        if (Interlocked.Exchange(ref _degraded, 1) == 0)
        {
            LogFallback(reason);
        }
    }

    private sealed class State
    {
        public long Minute;
        public int Requests;
        public long Tokens;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Key rate limits: Redis unavailable ({Reason}); counting on this replica until it returns")]
    private partial void LogFallback(string reason);
}
