namespace Switchboard.Simulator.Profiles;

// What a provider would report in its rate-limit headers at the moment a request was admitted.
internal readonly record struct RateSnapshot(
    bool Limited, int RequestLimit, long RequestsRemaining, long TokenLimit, long TokensRemaining, TimeSpan ResetIn, DateTimeOffset ResetAt);

// Fixed one-minute window of requests and tokens. The lock is held for a few instructions only; the simulator must
// stay far cheaper than anything it is used to measure.
internal sealed class RateWindow(TimeProvider time)
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    // Reported when a profile does not enforce a request limit: large enough that a benchmark never sees it run out.
    private const int UnenforcedRequestLimit = 10_000_000;
    private const long UnenforcedTokenLimit = 10_000_000_000;

    private readonly Lock _gate = new();
    private DateTimeOffset _windowEnd = DateTimeOffset.MinValue;
    private long _requests;
    private long _tokens;

    public RateSnapshot Admit(int requestsPerMinute, int tokensPerMinute, int tokens)
    {
        var now = time.GetUtcNow();
        long requests, used;
        DateTimeOffset end;
        bool limited;
        lock (_gate)
        {
            if (now >= _windowEnd)
            {
                _windowEnd = now + Window;
                _requests = 0;
                _tokens = 0;
            }

            limited = requestsPerMinute > 0 && _requests >= requestsPerMinute;
            if (!limited)
            {
                _requests++;
                _tokens += tokens;
            }

            requests = _requests;
            used = _tokens;
            end = _windowEnd;
        }

        var limit = requestsPerMinute > 0 ? requestsPerMinute : UnenforcedRequestLimit;
        long tokenLimit = tokensPerMinute > 0 ? tokensPerMinute : UnenforcedTokenLimit;
        return new RateSnapshot(limited, limit, Math.Max(0, limit - requests), tokenLimit,
            Math.Max(0, tokenLimit - used), end - now, end);
    }

    public void Reset()
    {
        lock (_gate)
        {
            _windowEnd = DateTimeOffset.MinValue;
        }
    }
}
