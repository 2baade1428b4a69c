using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Headers;
using Switchboard.Contracts.Health;

namespace Switchboard.Gateway.Routing;

/// <summary>What one upstream answer said about the provider's rate limit (<see cref="Reset"/> only when requests or tokens ran out).</summary>
internal readonly record struct RateLimitReading(
    double? RequestsShare, double? TokensShare, long? RequestsRemaining, long? TokensRemaining, TimeSpan? Reset)
{
    public bool IsEmpty => RequestsShare is null && TokensShare is null && RequestsRemaining is null && TokensRemaining is null;

    /// <summary>
    /// Reads <c>x-ratelimit-{limit,remaining,reset}-{requests,tokens}</c> (OpenAI and compatibles; reset as a Go
    /// duration such as <c>6m0s</c>) and <c>anthropic-ratelimit-{requests,tokens}-{limit,remaining,reset}</c>
    /// (reset as an RFC 3339 time).
    /// </summary>
    public static RateLimitReading From(HttpResponseMessage response, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(response);
        var h = response.Headers;
        var reqRemaining = Long(h, "x-ratelimit-remaining-requests") ?? Long(h, "anthropic-ratelimit-requests-remaining");
        var reqLimit = Long(h, "x-ratelimit-limit-requests") ?? Long(h, "anthropic-ratelimit-requests-limit");
        var tokRemaining = Long(h, "x-ratelimit-remaining-tokens") ?? Long(h, "anthropic-ratelimit-tokens-remaining");
        var tokLimit = Long(h, "x-ratelimit-limit-tokens") ?? Long(h, "anthropic-ratelimit-tokens-limit");
        // The reset time only matters while nothing remains (how long routing skips the provider): read only then,
        // not on every answer.
        var reset = reqRemaining == 0 || tokRemaining == 0
            ? Later(
                GoDuration(First(h, "x-ratelimit-reset-requests")) ?? Until(First(h, "anthropic-ratelimit-requests-reset"), now),
                GoDuration(First(h, "x-ratelimit-reset-tokens")) ?? Until(First(h, "anthropic-ratelimit-tokens-reset"), now))
            : null;
        return new(Share(reqRemaining, reqLimit), Share(tokRemaining, tokLimit), reqRemaining, tokRemaining, reset);
    }

    private static double? Share(long? remaining, long? limit) =>
        remaining is { } r && limit is { } l && l > 0 ? Math.Clamp((double)r / l, 0, 1) : null;

    private static string? First(HttpResponseHeaders h, string name)
    {
        // Unvalidated view: no string[] per header read (these are read once per upstream answer).
        if (h.NonValidated.TryGetValues(name, out var values))
        {
            foreach (var v in values)
            {
                return v;
            }
        }
        return null;
    }

    private static long? Long(HttpResponseHeaders h, string name) =>
        long.TryParse(First(h, name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : null;

    private static TimeSpan? Later(TimeSpan? a, TimeSpan? b) => a is null ? b : b is null ? a : a > b ? a : b;

    private static TimeSpan? Until(string? rfc3339, DateTimeOffset now) =>
        DateTimeOffset.TryParse(rfc3339, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at > now ? at - now : TimeSpan.Zero : null;

    /// <summary>Parses Go durations as OpenAI writes them: <c>12ms</c>, <c>1.5s</c>, <c>6m0s</c>, <c>1h2m3s</c>.</summary>
    internal static TimeSpan? GoDuration(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }
        var total = 0.0;
        var span = text.AsSpan();
        while (!span.IsEmpty)
        {
            var i = 0;
            while (i < span.Length && (char.IsAsciiDigit(span[i]) || span[i] == '.'))
            {
                i++;
            }
            if (i == 0 || !double.TryParse(span[..i], NumberStyles.Float, CultureInfo.InvariantCulture, out var n))
            {
                return null;
            }
            span = span[i..];
            double unitMs;
            if (span.StartsWith("ms"))
            {
                unitMs = 1;
                span = span[2..];
            }
            else if (span.StartsWith("h"))
            {
                unitMs = 3_600_000;
                span = span[1..];
            }
            else if (span.StartsWith("m"))
            {
                unitMs = 60_000;
                span = span[1..];
            }
            else if (span.StartsWith("s"))
            {
                unitMs = 1_000;
                span = span[1..];
            }
            else
            {
                return null;
            }
            total += n * unitMs;
        }
        return TimeSpan.FromMilliseconds(total);
    }
}

/// <summary>Rate-limit headroom learned from provider headers, for admission and strategies.</summary>
internal interface IRateLimitHeadroom
{
    /// <summary>
    /// Takes a reading of <c>x-ratelimit-*</c>, <c>anthropic-ratelimit-*</c> (<see cref="RateLimitReading.From"/>) and
    /// the <c>Retry-After</c> of an upstream answer.
    /// </summary>
    void Observe(string provider, RateLimitReading reading, TimeSpan? retryAfter);

    /// <summary>Remaining share of requests and tokens (0..1), when the provider said.</summary>
    RateLimitHeadroom? Get(string provider);

    /// <summary>True while the provider asked us to wait (429 with Retry-After).</summary>
    bool IsCoolingDown(string provider);

    /// <summary>
    /// False while the provider is known to have nothing left: it asked us to wait, or its last answer said no
    /// requests (or tokens) remain and the window has not reset yet. Routing skips it before a 429 happens.
    /// </summary>
    bool HasHeadroom(string provider);
}

internal sealed class RateLimitHeadroomTracker(TimeProvider timeProvider) : IRateLimitHeadroom
{
    /// <summary>How long "nothing remaining" holds when the provider gave no reset time.</summary>
    private static readonly TimeSpan DefaultReset = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<string, State> _states = new(StringComparer.Ordinal);

    public void Observe(string provider, RateLimitReading reading, TimeSpan? retryAfter)
    {
        if (reading.IsEmpty && retryAfter is null)
        {
            return;
        }
        var now = timeProvider.GetUtcNow();
        var exhausted = reading.RequestsRemaining == 0 || reading.TokensRemaining == 0;
        var blockedUntil = exhausted ? now + (reading.Reset ?? DefaultReset) : default;
        if (retryAfter is { } wait && now + wait > blockedUntil)
        {
            blockedUntil = now + wait;
        }
        var coolDownUntil = retryAfter is { } ra ? now + ra : default;
        // Called on every upstream answer: the state is updated in place, and the two deadlines are a new object
        // only when they change (an answer with headroom left, the usual case, allocates nothing).
        var state = _states.GetOrAdd(provider, static _ => new State());
        state.RequestsShare = reading.RequestsShare ?? double.NaN;
        state.TokensShare = reading.TokensShare ?? double.NaN;
        var until = state.Until;
        if (until.CoolDown != coolDownUntil || until.Blocked != blockedUntil)
        {
            state.Until = blockedUntil == default && coolDownUntil == default ? Deadlines.None : new Deadlines(coolDownUntil, blockedUntil);
        }
    }

    public RateLimitHeadroom? Get(string provider) =>
        _states.TryGetValue(provider, out var s) && (s.RequestsShare, s.TokensShare) is var (r, t) && !(double.IsNaN(r) && double.IsNaN(t))
            ? new RateLimitHeadroom(double.IsNaN(r) ? null : r, double.IsNaN(t) ? null : t)
            : null;

    public bool IsCoolingDown(string provider) => _states.TryGetValue(provider, out var s) && s.Until.CoolDown > timeProvider.GetUtcNow();

    public bool HasHeadroom(string provider) => !_states.TryGetValue(provider, out var s) || s.Until.Blocked <= timeProvider.GetUtcNow();

    /// <summary>
    /// A provider's latest reading. The shares are plain doubles (NaN: not said), each written atomically; a reader
    /// may see one answer's requests share beside the previous answer's tokens share, both real readings. The
    /// deadlines are one immutable pair.
    /// </summary>
    private sealed class State
    {
        public double RequestsShare = double.NaN;
        public double TokensShare = double.NaN;
        public volatile Deadlines Until = Deadlines.None;
    }

    /// <summary>When a Retry-After ends, and until when the provider has nothing left.</summary>
    private sealed record Deadlines(DateTimeOffset CoolDown, DateTimeOffset Blocked)
    {
        public static readonly Deadlines None = new(default, default);
    }
}
