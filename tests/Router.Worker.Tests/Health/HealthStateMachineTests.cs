using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Switchboard.Contracts.Health;
using Switchboard.Contracts.Outcomes;
using Switchboard.Router.Extensions;
using Switchboard.Router.Health;
using Switchboard.Router.Quality;

namespace Switchboard.Router.Tests.Health;

/// <summary>Hysteresis through the health model with a fake clock: default thresholds, 60 s hold, 30 s cooldown.</summary>
public sealed class HealthStateMachineTests
{
    private static readonly DeploymentKey D = new("anthropic", "claude-3-5-sonnet-20241022");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly HealthModel _model;

    public HealthStateMachineTests()
    {
        _model = new HealthModel(Options.Create(new HealthOptions()), new QualityModel(_time), _time);
    }

    private void Probe(bool ok) =>
        _model.RecordProbe(D, ok ? AttemptOutcome.Success : AttemptOutcome.Failure, ok ? null : ErrorClass.Connect, 50, ok ? 50 : null, null);

    private DeploymentHealth Now() => _model.Evaluate([D]).Single();

    [Fact]
    public void ConsecutiveFailures_GoDownAtOnce_AndOpenTheCircuit()
    {
        Probe(false);
        Probe(false);
        Assert.Equal(HealthState.Healthy, Now().State);

        Probe(false);

        var h = Now();
        Assert.Equal(HealthState.Down, h.State);
        Assert.Equal(CircuitState.Open, h.Circuit);
    }

    [Fact]
    public void Circuit_HalfOpensAfterCooldown_AndClosesOnASuccessfulProbe()
    {
        for (var i = 0; i < 3; i++)
        {
            Probe(false);
        }
        Assert.Equal(CircuitState.Open, Now().Circuit);

        _time.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal(CircuitState.Open, Now().Circuit);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(CircuitState.HalfOpen, Now().Circuit);

        Probe(true);

        var h = Now();
        Assert.Equal(CircuitState.Closed, h.Circuit);
        Assert.Equal(HealthState.Down, h.State); // recovery of the state waits for the hold time
    }

    [Fact]
    public void FailureWhileHalfOpen_OpensTheCircuitAgain()
    {
        for (var i = 0; i < 3; i++)
        {
            Probe(false);
        }
        _time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(CircuitState.HalfOpen, Now().Circuit);

        Probe(false);

        Assert.Equal(CircuitState.Open, Now().Circuit);
    }

    [Fact]
    public void Recovery_WaitsForTheHoldTime()
    {
        for (var i = 0; i < 3; i++)
        {
            Probe(false);
        }
        Assert.Equal(HealthState.Down, Now().State);

        // The failures leave the 1-minute window; successes keep coming.
        _time.Advance(TimeSpan.FromMinutes(6));
        Probe(true);
        Assert.Equal(HealthState.Down, Now().State); // condition clear, hold starts

        _time.Advance(TimeSpan.FromSeconds(59));
        Probe(true);
        Assert.Equal(HealthState.Down, Now().State);

        _time.Advance(TimeSpan.FromSeconds(1));
        Probe(true);
        Assert.Equal(HealthState.Healthy, Now().State);
    }

    [Fact]
    public void AlternatingGoodAndBad_DoesNotFlap()
    {
        for (var i = 0; i < 3; i++)
        {
            Probe(false);
        }
        var states = new List<HealthState>();
        // For ten minutes: 40 s of successes (not enough to recover), then a run of three failures.
        for (var cycle = 0; cycle < 10; cycle++)
        {
            for (var s = 0; s < 4; s++)
            {
                _time.Advance(TimeSpan.FromSeconds(10));
                Probe(true);
                states.Add(Now().State);
            }
            for (var f = 0; f < 3; f++)
            {
                _time.Advance(TimeSpan.FromSeconds(5));
                Probe(false);
                states.Add(Now().State);
            }
        }

        Assert.True(states.All(s => s == HealthState.Down), string.Join(",", states));
    }

    [Fact]
    public void DegradedByErrorRate_RecoversOnlyAfterTheHold()
    {
        // 20 attempts, 2 failing (10% > 5%) but never 3 in a row: degraded, not down.
        for (var i = 0; i < 20; i++)
        {
            _model.RecordProbe(D, i % 10 == 0 ? AttemptOutcome.Failure : AttemptOutcome.Success, i % 10 == 0 ? ErrorClass.ServerError : null, 50, 50, null);
        }
        Assert.Equal(HealthState.Degraded, Now().State);

        _time.Advance(TimeSpan.FromMinutes(5)); // the failures leave the 5-minute window
        Assert.Equal(HealthState.Degraded, Now().State);
        _time.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal(HealthState.Healthy, Now().State);
    }

    [Fact]
    public void SlowTimeToFirstToken_Degrades()
    {
        _model.RecordProbe(D, AttemptOutcome.Success, null, 9000, 8000, null);

        Assert.Equal(HealthState.Degraded, Now().State);
    }
}
