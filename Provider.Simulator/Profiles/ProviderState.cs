namespace Switchboard.Simulator.Profiles;

// One simulated provider: its current profile plus the runtime state that outlives profile changes.
internal sealed class ProviderState(string name, ProviderProfile profile, TimeProvider time)
{
    private long _sequence;

    public string Name { get; } = name;
    public ProviderProfile Profile { get => Volatile.Read(ref profile); set => Volatile.Write(ref profile, value); }
    public ProviderStats Stats { get; } = new();
    public RateWindow Rate { get; } = new(time);

    // The n-th request of this provider since the last reset: with the seed it fixes every random draw.
    public long NextSequence() => Interlocked.Increment(ref _sequence);

    public void ResetRuntime()
    {
        Stats.Reset();
        Rate.Reset();
        Interlocked.Exchange(ref _sequence, 0);
    }
}
