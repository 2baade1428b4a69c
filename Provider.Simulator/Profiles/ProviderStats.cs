namespace Switchboard.Simulator.Profiles;

// Request outcomes of one simulated provider. requests counts every request that reached a known profile; each ends
// as exactly one of completed (answered in full), failed (an error status or a fault the simulator injected:
// disconnect, malformed body) or cancelled (the client went away first).
internal sealed class ProviderStats
{
    private long _requests;
    private long _completed;
    private long _cancelled;
    private long _failed;

    public void Started() => Interlocked.Increment(ref _requests);
    public void Completed() => Interlocked.Increment(ref _completed);
    public void Cancelled() => Interlocked.Increment(ref _cancelled);
    public void Failed() => Interlocked.Increment(ref _failed);

    public StatsView Snapshot() => new(
        Interlocked.Read(ref _requests), Interlocked.Read(ref _completed),
        Interlocked.Read(ref _cancelled), Interlocked.Read(ref _failed));

    public void Reset()
    {
        Interlocked.Exchange(ref _requests, 0);
        Interlocked.Exchange(ref _completed, 0);
        Interlocked.Exchange(ref _cancelled, 0);
        Interlocked.Exchange(ref _failed, 0);
    }
}

internal sealed record StatsView(long Requests, long Completed, long Cancelled, long Failed);
