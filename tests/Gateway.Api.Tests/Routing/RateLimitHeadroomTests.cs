using Microsoft.Extensions.Time.Testing;
using Switchboard.Gateway.Routing;

namespace Switchboard.Gateway.Tests.Routing;

public sealed class RateLimitHeadroomTests
{
    private static readonly DateTimeOffset Start = DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture);

    private static HttpResponseMessage Answer(params (string Name, string Value)[] headers)
    {
        var r = new HttpResponseMessage(System.Net.HttpStatusCode.OK);
        foreach (var (n, v) in headers)
        {
            r.Headers.TryAddWithoutValidation(n, v);
        }
        return r;
    }

    [Theory]
    [InlineData("12ms", 12)]
    [InlineData("1.5s", 1500)]
    [InlineData("6m0s", 360_000)]
    [InlineData("1h2m3s", 3_723_000)]
    public void Go_durations_parse(string text, double ms) =>
        Assert.Equal(ms, RateLimitReading.GoDuration(text)!.Value.TotalMilliseconds, 3);

    [Theory]
    [InlineData("")]
    [InlineData("soon")]
    [InlineData("5x")]
    public void Bad_durations_are_ignored(string text) => Assert.Null(RateLimitReading.GoDuration(text));

    [Fact]
    public void No_requests_remaining_blocks_until_the_openai_reset()
    {
        var time = new FakeTimeProvider(Start);
        var tracker = new RateLimitHeadroomTracker(time);
        using var r = Answer(("x-ratelimit-limit-requests", "100"), ("x-ratelimit-remaining-requests", "0"), ("x-ratelimit-reset-requests", "20s"));
        tracker.Observe("p", RateLimitReading.From(r, time.GetUtcNow()), null);
        Assert.False(tracker.HasHeadroom("p"));
        Assert.Equal(0, tracker.Get("p")!.Requests);
        time.Advance(TimeSpan.FromSeconds(19.9));
        Assert.False(tracker.HasHeadroom("p"));
        time.Advance(TimeSpan.FromSeconds(0.2));
        Assert.True(tracker.HasHeadroom("p"));
    }

    [Fact]
    public void Anthropic_reset_times_are_absolute()
    {
        var time = new FakeTimeProvider(Start);
        var tracker = new RateLimitHeadroomTracker(time);
        using var r = Answer(("anthropic-ratelimit-tokens-limit", "1000"), ("anthropic-ratelimit-tokens-remaining", "0"),
            ("anthropic-ratelimit-tokens-reset", Start.AddSeconds(30).ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture)));
        tracker.Observe("a", RateLimitReading.From(r, time.GetUtcNow()), null);
        Assert.False(tracker.HasHeadroom("a"));
        time.Advance(TimeSpan.FromSeconds(31));
        Assert.True(tracker.HasHeadroom("a"));
    }

    [Fact]
    public void Remaining_requests_keep_headroom_and_retry_after_takes_it_away()
    {
        var time = new FakeTimeProvider(Start);
        var tracker = new RateLimitHeadroomTracker(time);
        using (var ok = Answer(("x-ratelimit-limit-requests", "100"), ("x-ratelimit-remaining-requests", "40")))
        {
            tracker.Observe("p", RateLimitReading.From(ok, time.GetUtcNow()), null);
        }
        Assert.True(tracker.HasHeadroom("p"));
        Assert.Equal(0.4, tracker.Get("p")!.Requests);
        using (var limited = Answer())
        {
            tracker.Observe("p", RateLimitReading.From(limited, time.GetUtcNow()), TimeSpan.FromSeconds(3));
        }
        Assert.False(tracker.HasHeadroom("p"));
        Assert.True(tracker.IsCoolingDown("p"));
        time.Advance(TimeSpan.FromSeconds(3));
        Assert.True(tracker.HasHeadroom("p"));
    }
}
