using Switchboard.Contracts.Health;
using Switchboard.Router.Extensions;

namespace Switchboard.Router.Health;

/// <summary>
/// Health state and circuit of one deployment, with hysteresis: a worse state is taken at once, a better one
/// only after its condition has held for <see cref="HealthOptions.HoldTime"/> (the worst candidate seen during
/// the hold wins), so a deployment that alternates between good and bad stays at the bad state.
/// Circuit: opens on entering down (or on a failure while down); half-open after the cooldown; closed by the
/// next success (a probe, or a trial request); a failure while half-open opens it again.
/// </summary>
internal sealed class HealthStateMachine(HealthOptions options)
{
    private DateTimeOffset? _betterSince;
    private HealthState _worstDuringHold;
    private DateTimeOffset _openedAt;

    public HealthState State { get; private set; } = HealthState.Healthy;
    public CircuitState Circuit { get; private set; } = CircuitState.Closed;
    public int ConsecutiveFailures { get; private set; }

    /// <summary>Restores a state published by a previous leader, so a take-over does not reset it.</summary>
    public void Restore(HealthState state, CircuitState circuit, DateTimeOffset now)
    {
        State = state;
        Circuit = circuit;
        _openedAt = now;
        _betterSince = null;
    }

    public void OnAttempt(bool success, bool providerFailure, DateTimeOffset at)
    {
        if (success)
        {
            ConsecutiveFailures = 0;
            if (Circuit == CircuitState.HalfOpen)
            {
                Circuit = CircuitState.Closed;
            }
            return;
        }
        if (!providerFailure)
        {
            return;
        }
        ConsecutiveFailures++;
        if (ConsecutiveFailures >= options.DownConsecutiveFailures && State != HealthState.Down)
        {
            // A run of failures is down at once, whenever the next evaluation comes.
            State = HealthState.Down;
            _betterSince = null;
        }
        if (Circuit == CircuitState.HalfOpen || (Circuit == CircuitState.Closed && State == HealthState.Down))
        {
            Open(at);
        }
    }

    public HealthState Candidate(WindowStats oneMinute, WindowStats fiveMinutes)
    {
        if (ConsecutiveFailures >= options.DownConsecutiveFailures
            || (oneMinute.Counted >= options.MinSamples && oneMinute.ErrorRate > options.DownErrorRate))
        {
            return HealthState.Down;
        }
        if ((fiveMinutes.Counted >= options.MinSamples && fiveMinutes.ErrorRate > options.DegradedErrorRate)
            || fiveMinutes.TtftMs.P95 > options.DegradedTtftP95Ms)
        {
            return HealthState.Degraded;
        }
        return HealthState.Healthy;
    }

    /// <summary>Applies a candidate state at <paramref name="now"/>; true when state or circuit changed.</summary>
    public bool Evaluate(HealthState candidate, DateTimeOffset now)
    {
        var before = (State, Circuit);
        if (candidate >= State)
        {
            _betterSince = null;
            if (candidate > State)
            {
                State = candidate;
                if (candidate == HealthState.Down && Circuit == CircuitState.Closed)
                {
                    Open(now);
                }
            }
        }
        else if (_betterSince is null)
        {
            _betterSince = now;
            _worstDuringHold = candidate;
        }
        else
        {
            _worstDuringHold = candidate > _worstDuringHold ? candidate : _worstDuringHold;
            if (now - _betterSince.Value >= options.HoldTime)
            {
                State = _worstDuringHold;
                _betterSince = null;
            }
        }

        if (Circuit == CircuitState.Open && now - _openedAt >= options.CircuitCooldown)
        {
            Circuit = CircuitState.HalfOpen;
        }
        return before != (State, Circuit);
    }

    private void Open(DateTimeOffset at)
    {
        Circuit = CircuitState.Open;
        _openedAt = at;
    }
}
