using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Switchboard.Contracts.Health;
using Switchboard.Contracts.Outcomes;
using Switchboard.Router.Extensions;
using Switchboard.Router.Health;
using Switchboard.Router.Quality;

namespace Switchboard.Router.Tests.Health;

public sealed class HealthModelTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly DeploymentKey Deployment = new("openai", "gpt-4o-2024-08-06");

    private readonly FakeTimeProvider _time = new(Start);
    private readonly HealthModel _model;

    public HealthModelTests()
    {
        _model = new HealthModel(Options.Create(new HealthOptions()), new QualityModel(_time), _time);
    }

    private static OutcomeEvent Event(DateTimeOffset at, AttemptOutcome outcome, double latency, double? ttft = null, ErrorClass? error = null, int n = 0) => new()
    {
        RequestId = $"r{n}",
        Attempt = 1,
        StartedAt = at,
        Route = "chat",
        Provider = Deployment.Provider,
        Model = Deployment.Model,
        Outcome = outcome,
        Error = error,
        LatencyMs = latency,
        TtftMs = ttft,
    };

    /// <summary>
    /// 100 attempts in the last minute: 90 successes with latencies 10, 20 ... 900 ms and TTFT = latency / 10,
    /// and among them 5 timeouts, 3 5xx and 2 429s. Known answers: 100 requests/min, error rate 10%, availability 92%,
    /// latency p50 = 450, p95 = 860, p99 = 900 (nearest rank over the 90 successes, within HdrHistogram's 1%).
    /// </summary>
    [Fact]
    public void Windows_KnownSequence_GiveKnownRatesAndPercentiles()
    {
        var n = 0;
        var failures = new Queue<ErrorClass>([.. Enumerable.Repeat(ErrorClass.Timeout, 5), .. Enumerable.Repeat(ErrorClass.ServerError, 3), .. Enumerable.Repeat(ErrorClass.RateLimited, 2)]);
        for (var i = 1; i <= 90; i++)
        {
            _model.Record(Event(Start.AddSeconds(-30), AttemptOutcome.Success, i * 10, i, n: n++));
            if (i % 9 == 0)
            {
                // One failure after every nine successes: never a run, so the state comes from the rates.
                _model.Record(Event(Start.AddSeconds(-20), AttemptOutcome.Failure, 100, error: failures.Dequeue(), n: n++));
            }
        }
        // Neither counts against the provider: a client error and a cancelled hedge loser.
        _model.Record(Event(Start.AddSeconds(-10), AttemptOutcome.Failure, 5, error: ErrorClass.ClientError, n: n++));
        _model.Record(Event(Start.AddSeconds(-10), AttemptOutcome.Cancelled, 5, n: n++));

        var d = _model.Detail(Deployment)!;

        Assert.Equal(102, d.OneMinute.Requests);
        Assert.Equal(102, d.OneMinute.RequestsPerMin);
        Assert.Equal(100, d.OneMinute.Counted);
        Assert.Equal(0.10, d.OneMinute.ErrorRate, 6);
        Assert.Equal(0.92, d.OneMinute.Availability, 6);
        Assert.Equal(5, d.OneMinute.ErrorsByClass[ErrorClass.Timeout]);
        Assert.Equal(3, d.OneMinute.ErrorsByClass[ErrorClass.ServerError]);
        Assert.Equal(2, d.OneMinute.ErrorsByClass[ErrorClass.RateLimited]);
        Assert.False(d.OneMinute.ErrorsByClass.ContainsKey(ErrorClass.ClientError));
        AssertNear(450, d.FiveMinutes.LatencyMs.P50);
        AssertNear(860, d.FiveMinutes.LatencyMs.P95);
        AssertNear(900, d.FiveMinutes.LatencyMs.P99);
        AssertNear(45, d.FiveMinutes.TtftMs.P50);
        Assert.Equal(d.OneMinute.Counted, d.FiveMinutes.Counted);
        Assert.Equal(d.OneMinute.Counted, d.OneHour.Counted);

        // The published entry uses the 1-minute rate and the 5-minute error rate and percentiles.
        Assert.Equal(0.10, d.Health.ErrorRate, 6);
        Assert.Equal(102, d.Health.RequestsPerMin);
        Assert.Equal(HealthState.Degraded, d.Health.State); // 10% > 5% over at least 10 attempts
    }

    [Fact]
    public void Windows_AgeOut_OneMinuteThenFiveMinutesThenOneHour()
    {
        for (var i = 0; i < 20; i++)
        {
            _model.Record(Event(Start, AttemptOutcome.Success, 100, n: i));
        }

        _time.Advance(TimeSpan.FromMinutes(2));
        var d = _model.Detail(Deployment)!;
        Assert.Equal(0, d.OneMinute.Requests);
        Assert.Equal(20, d.FiveMinutes.Requests);
        Assert.Equal(20, d.OneHour.Requests);
        Assert.Equal(Percentiles.Empty, d.OneMinute.LatencyMs);

        _time.Advance(TimeSpan.FromMinutes(5));
        d = _model.Detail(Deployment)!;
        Assert.Equal(0, d.FiveMinutes.Requests);
        Assert.Equal(20, d.OneHour.Requests);

        _time.Advance(TimeSpan.FromMinutes(60));
        Assert.Equal(0, _model.Detail(Deployment)!.OneHour.Requests);
    }

    [Fact]
    public void Probes_CountForErrorRateButNotForRequestRate()
    {
        _model.RecordProbe(Deployment, AttemptOutcome.Failure, ErrorClass.Connect, 3, null, null);
        _model.RecordProbe(Deployment, AttemptOutcome.Success, null, 40, 40, null);

        var d = _model.Detail(Deployment)!;
        Assert.Equal(0, d.OneMinute.Requests);
        Assert.Equal(2, d.OneMinute.Probes);
        Assert.Equal(0.5, d.OneMinute.ErrorRate, 6);
        Assert.Equal(0, d.Health.RequestsPerMin);
    }

    [Fact]
    public void AuthFailure_MarksCredentialInvalid_UntilTheCredentialChanges()
    {
        _model.Record(Event(Start, AttemptOutcome.Failure, 10, error: ErrorClass.Auth));
        Assert.True(_model.Detail(Deployment)!.Health.CredentialInvalid);

        _model.CredentialChanged(Deployment.Provider);

        Assert.False(_model.Detail(Deployment)!.Health.CredentialInvalid);
    }

    [Fact]
    public void DriftReported_IsFlaggedOnTheDeployment()
    {
        _model.Record(Event(Start, AttemptOutcome.Success, 10) with { Drift = true, ModelReported = "gpt-4o-2024-11-20" });

        Assert.True(_model.Evaluate([Deployment]).Single().Drift);
    }

    [Fact]
    public void ConfiguredDeployment_WithoutTraffic_IsListedHealthy()
    {
        var list = _model.Evaluate([new DeploymentKey("anthropic", "claude-3-5-sonnet-20241022")]);

        var d = Assert.Single(list);
        Assert.Equal(HealthState.Healthy, d.State);
        Assert.Equal(CircuitState.Closed, d.Circuit);
        Assert.Equal(Percentiles.Empty, d.LatencyMs);
    }

    private static void AssertNear(double expected, double? actual) =>
        Assert.InRange(actual!.Value, expected * 0.99, expected * 1.01);
}
