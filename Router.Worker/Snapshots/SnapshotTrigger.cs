using System.Threading.Channels;

namespace Switchboard.Router.Snapshots;

/// <summary>Asks the snapshot publisher to evaluate now (coalesced: many requests, one evaluation).</summary>
internal sealed class SnapshotTrigger
{
    private readonly Channel<bool> _signal = Channel.CreateBounded<bool>(new BoundedChannelOptions(1)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
    });

    public void Request() => _signal.Writer.TryWrite(true);

    /// <summary>Waits for a request or the timeout, whichever comes first.</summary>
    public async Task WaitAsync(TimeSpan timeout, TimeProvider time, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var delay = Task.Delay(timeout, time, cts.Token);
        var signal = _signal.Reader.WaitToReadAsync(cts.Token).AsTask();
        await Task.WhenAny(delay, signal);
        await cts.CancelAsync();
        _signal.Reader.TryRead(out _);
        ct.ThrowIfCancellationRequested();
    }
}
