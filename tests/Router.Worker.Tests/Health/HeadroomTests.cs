using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Switchboard.Contracts.Health;
using Switchboard.Contracts.Outcomes;
using Switchboard.Router.Extensions;
using Switchboard.Router.Health;
using Switchboard.Router.Quality;

namespace Switchboard.Router.Tests.Health;

/// <summary>Rate-limit headroom in the health snapshot, from the RequestsLeft / TokensLeft / RetryAfterMs of outcome events.</summary>
public sealed class HeadroomTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly DeploymentKey Deployment = new("openai", "gpt-4o-2024-08-06");

    private readonly FakeTimeProvider _time = new(Start);
    private readonly HealthModel _model;
    private int _n;

    public HeadroomTests()
    {
        _model = new HealthModel(Options.Create(new HealthOptions()), new QualityModel(_time), _time);
    }

    /// <summary>An attempt that ended at <paramref name="end"/> (100 ms long).</summary>
    private OutcomeEvent Event(DateTimeOffset end, double? requests = null, double? tokens = null, double? retryAfterMs = null, bool rateLimited = false) => new()
    {
        RequestId = $"r{_n++}",
        Attempt = 1,
        StartedAt = end.AddMilliseconds(-100),
        LatencyMs = 100,
        Route = "chat",
        Provider = Deployment.Provider,
        Model = Deployment.Model,
        Outcome = rateLimited ? AttemptOutcome.Failure : AttemptOutcome.Success,
        Error = rateLimited ? ErrorClass.RateLimited : null,
        Status = rateLimited ? 429 : 200,
        RequestsLeft = requests,
        TokensLeft = tokens,
        RetryAfterMs = retryAfterMs,
    };

    private RateLimitHeadroom? Headroom() => Assert.Single(_model.Evaluate([Deployment])).RateLimitHeadroom;

    [Fact]
    public void NoEventWithLimits_NoHeadroom()
    {
        _model.Record(Event(Start.AddSeconds(-1)));

        Assert.Null(Headroom());
    }

    [Fact]
    public void KnownSequence_LatestValuesWithTheirAge_AndNoneWhileA429AsksToWait()
    {
        _model.Record(Event(Start.AddSeconds(-10), requests: 0.8, tokens: 0.6));
        var h = Headroom()!;
        Assert.Equal((0.8, 0.6), (h.Requests, h.Tokens));
        Assert.Equal(Start.AddSeconds(-10), h.ObservedAt);
        Assert.Equal(10_000, h.AgeMs);
        Assert.Null(h.RetryAfterUntil);

        // A late event from another gateway, about an earlier attempt, does not overwrite newer values.
        _model.Record(Event(Start.AddSeconds(-20), requests: 0.9, tokens: 0.9));
        Assert.Equal((0.8, 0.6), (Headroom()!.Requests, Headroom()!.Tokens));

        // A provider that reports only tokens keeps the requests share it reported last.
        _model.Record(Event(Start.AddSeconds(-5), tokens: 0.5));
        h = Headroom()!;
        Assert.Equal((0.8, 0.5), (h.Requests, h.Tokens));
        Assert.Equal(5_000, h.AgeMs);

        // 429 with Retry-After: 2 s: no headroom at all until it expires.
        _model.Record(Event(Start, retryAfterMs: 2000, rateLimited: true));
        h = Headroom()!;
        Assert.Equal((0.0, 0.0), (h.Requests, h.Tokens));
        Assert.Equal(Start.AddSeconds(2), h.RetryAfterUntil);
        _time.Advance(TimeSpan.FromSeconds(1.5));
        Assert.Equal(0.0, Headroom()!.Requests);

        _time.Advance(TimeSpan.FromSeconds(1));
        h = Headroom()!;
        Assert.Null(h.RetryAfterUntil);
        Assert.Equal((0.8, 0.5), (h.Requests, h.Tokens));
        Assert.Equal(7_500, h.AgeMs);

        // Values older than HeadroomMaxAge (2 min) are no longer published.
        _time.Advance(TimeSpan.FromMinutes(2));
        Assert.Null(Headroom());
    }

    [Fact]
    public void RateLimitedWithoutRetryAfter_WaitsTheConfiguredTime()
    {
        _model.Record(Event(Start, requests: 0.0, rateLimited: true));

        Assert.Equal(Start.AddSeconds(5), Headroom()!.RetryAfterUntil);
        _time.Advance(TimeSpan.FromSeconds(5.1));
        var h = Headroom()!;
        Assert.Null(h.RetryAfterUntil);
        Assert.Equal(0.0, h.Requests); // what the 429 itself reported
    }

    [Fact]
    public void RetryAfterOnASuccess_IsNoWait_AndSharesAreClampedToZeroToOne()
    {
        _model.Record(Event(Start, requests: 1.7, tokens: -0.2, retryAfterMs: 60_000));

        var h = Headroom()!;
        Assert.Null(h.RetryAfterUntil);
        Assert.Equal((1.0, 0.0), (h.Requests, h.Tokens));
    }

    [Fact]
    public void AnExpiredWait_ProcessedLate_DoesNotBlock()
    {
        // The 429 ended 10 s ago and asked for 2 s: the stream delivered it late; it has already expired.
        _model.Record(Event(Start.AddSeconds(-10), requests: 0.3, retryAfterMs: 2000, rateLimited: true));

        var h = Headroom()!;
        Assert.Null(h.RetryAfterUntil);
        Assert.Equal(0.3, h.Requests);
    }
}
