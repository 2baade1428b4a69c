using System.Collections.Concurrent;
using System.Globalization;
using Switchboard.Contracts.Health;

namespace Switchboard.Gateway.Routing;

/// <summary>Rate-limit headroom learned from provider headers, for admission and strategies.</summary>
internal interface IRateLimitHeadroom
{
    /// <summary>Reads <c>x-ratelimit-*</c>, <c>anthropic-ratelimit-*</c> and <c>Retry-After</c> from an upstream answer.</summary>
    void Observe(string provider, HttpResponseMessage response, TimeSpan? retryAfter);

    /// <summary>Remaining share of requests and tokens (0..1), when the provider said.</summary>
    RateLimitHeadroom? Get(string provider);

    /// <summary>True while the provider asked us to wait (429 with Retry-After).</summary>
    bool IsCoolingDown(string provider);
}

internal sealed class RateLimitHeadroomTracker(TimeProvider timeProvider) : IRateLimitHeadroom
{
    private readonly ConcurrentDictionary<string, State> _states = new(StringComparer.Ordinal);

    public void Observe(string provider, HttpResponseMessage response, TimeSpan? retryAfter)
    {
        ArgumentNullException.ThrowIfNull(response);
        var requests = Share(response, "x-ratelimit-remaining-requests", "x-ratelimit-limit-requests")
            ?? Share(response, "anthropic-ratelimit-requests-remaining", "anthropic-ratelimit-requests-limit");
        var tokens = Share(response, "x-ratelimit-remaining-tokens", "x-ratelimit-limit-tokens")
            ?? Share(response, "anthropic-ratelimit-tokens-remaining", "anthropic-ratelimit-tokens-limit");
        if (requests is null && tokens is null && retryAfter is null)
        {
            return;
        }
        var until = retryAfter is { } wait ? timeProvider.GetUtcNow() + wait : default;
        _states[provider] = new State(requests is null && tokens is null ? null : new RateLimitHeadroom(requests, tokens), until);
    }

    public RateLimitHeadroom? Get(string provider) => _states.TryGetValue(provider, out var s) ? s.Headroom : null;

    public bool IsCoolingDown(string provider) => _states.TryGetValue(provider, out var s) && s.CoolDownUntil > timeProvider.GetUtcNow();

    private static double? Share(HttpResponseMessage response, string remainingHeader, string limitHeader)
    {
        if (response.Headers.TryGetValues(remainingHeader, out var rem) && response.Headers.TryGetValues(limitHeader, out var lim)
            && double.TryParse(rem.FirstOrDefault(), NumberStyles.Float, CultureInfo.InvariantCulture, out var r)
            && double.TryParse(lim.FirstOrDefault(), NumberStyles.Float, CultureInfo.InvariantCulture, out var l) && l > 0)
        {
            return Math.Clamp(r / l, 0, 1);
        }
        return null;
    }

    private sealed record State(RateLimitHeadroom? Headroom, DateTimeOffset CoolDownUntil);
}
