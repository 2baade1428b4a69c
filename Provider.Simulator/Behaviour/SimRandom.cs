namespace Switchboard.Simulator.Behaviour;

// A small deterministic generator (SplitMix64). Unlike Random its sequence is fixed by the seed on every runtime and
// platform, which is what makes a simulator run repeatable.
internal struct SimRandom(ulong seed)
{
    private ulong _state = seed;

    public static SimRandom For(long seed, long stream) => new(Mix((ulong)seed ^ Mix((ulong)stream + 0x9E3779B97F4A7C15UL)));

    public static SimRandom For(long seed, ulong hash, int stream) => new(Mix((ulong)seed ^ hash ^ Mix((ulong)stream)));

    public ulong NextULong()
    {
        _state += 0x9E3779B97F4A7C15UL;
        return Mix(_state);
    }

    // Uniform in [0, 1).
    public double NextDouble() => (NextULong() >> 11) * (1.0 / (1UL << 53));

    public int Next(int maxExclusive) => (int)(NextULong() % (ulong)maxExclusive);

    public bool Chance(double probability) => probability > 0 && NextDouble() < probability;

    // Standard normal draw (Box-Muller).
    public double NextGaussian()
    {
        var u1 = 1.0 - NextDouble();
        var u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    internal static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}

// FNV-1a: a stable hash of request text (string.GetHashCode is randomised per process).
internal struct StableHash()
{
    private ulong _value = 14695981039346656037UL;

    public readonly ulong Value => _value;

    public void Add(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            _value = (_value ^ c) * 1099511628211UL;
        }
    }

    public void Add(ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
        {
            _value = (_value ^ b) * 1099511628211UL;
        }
    }
}
