using Switchboard.Simulator.Profiles;

namespace Switchboard.Simulator.Behaviour;

internal enum Fault
{
    None,
    Hang,
    Failure,
    Disconnect,
    Malformed,
    StreamError,
}

// Everything random about one request, drawn up front from the profile's seed and the request's sequence number.
internal readonly record struct ResponsePlan(Fault Fault, TimeSpan TimeToFirstToken, TimeSpan TokenInterval, int DisconnectAfter)
{
    // When token index (0-based) is due, measured from the request's arrival.
    public TimeSpan DueAt(int index) => TimeToFirstToken + TokenInterval * index;

    public static ResponsePlan Draw(ProviderProfile profile, long sequence)
    {
        var random = SimRandom.For(profile.Seed, sequence);
        // Draw every variable on every request so that changing one probability never shifts the others' sequence.
        var failure = random.Chance(profile.FailureRate);
        var disconnect = random.Chance(profile.MidStreamDisconnect);
        var malformed = random.Chance(profile.Malformed);
        var streamError = random.Chance(profile.StreamError);
        var ttft = LatencyDistribution.Fit(profile.TtftMs.P50, profile.TtftMs.P99).Sample(ref random);

        var fault = profile.Hang ? Fault.Hang
            : failure ? Fault.Failure
            : disconnect ? Fault.Disconnect
            : malformed ? Fault.Malformed
            : streamError ? Fault.StreamError
            : Fault.None;
        var interval = profile.TokensPerSecond > 0 ? TimeSpan.FromSeconds(1 / profile.TokensPerSecond) : TimeSpan.Zero;
        var after = profile.DisconnectAfterChunks > 0 ? profile.DisconnectAfterChunks : Math.Max(1, profile.OutputTokens / 2);
        return new ResponsePlan(fault, ttft, interval, after);
    }
}
