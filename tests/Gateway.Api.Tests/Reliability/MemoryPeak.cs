using System.Diagnostics;

namespace Switchboard.Gateway.Tests.Reliability;

/// <summary>Samples the managed heap and the process working set every 20 ms until disposed, keeping the peaks.</summary>
public sealed class MemoryPeak : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampler;
    private long _peakManaged;
    private long _peakWorkingSet;

    public MemoryPeak()
    {
        BaselineWorkingSet = WorkingSet();
        _sampler = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                Sample();
                try
                {
                    await Task.Delay(20, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                }
            }
        });
    }

    public long BaselineWorkingSet { get; }
    public long PeakManaged => Interlocked.Read(ref _peakManaged);
    public long PeakWorkingSet => Interlocked.Read(ref _peakWorkingSet);

    /// <summary>How far the working set rose above where it was at the start.</summary>
    public long WorkingSetGrowth => Math.Max(0, PeakWorkingSet - BaselineWorkingSet);

    private void Sample()
    {
        var managed = GC.GetTotalMemory(false);
        var ws = WorkingSet();
        if (managed > Interlocked.Read(ref _peakManaged))
        {
            Interlocked.Exchange(ref _peakManaged, managed);
        }
        if (ws > Interlocked.Read(ref _peakWorkingSet))
        {
            Interlocked.Exchange(ref _peakWorkingSet, ws);
        }
    }

    private static long WorkingSet()
    {
        using var p = Process.GetCurrentProcess();
        return p.WorkingSet64;
    }

    public void Dispose()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }
        _stop.Cancel();
        _sampler.Wait();
        Sample();
    }
}
