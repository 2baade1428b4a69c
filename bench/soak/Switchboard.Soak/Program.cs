using System.Globalization;
using System.Text;
using Switchboard.Contracts.Redis;
using Switchboard.Testing.Stack;

// Soak: Switchboard under a steady open-loop load for N minutes with faults on a schedule (Redis killed 20 s,
// Metrics.Service SIGKILLed and restarted, PostgreSQL stopped 30 s, in turn). Prints one row a minute (requests,
// errors, p99, RSS of every process) and, at the end, events sent vs recorded. Exit code 1 on any error or loss.
// usage: Switchboard.Soak [--minutes 30] [--rate 300] [--out FILE]
var minutes = 30.0;
var rate = 300.0;
string? outFile = null;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--minutes": minutes = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--rate": rate = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--out": outFile = args[++i]; break;
        default:
            Console.Error.WriteLine("usage: Switchboard.Soak [--minutes 30] [--rate 300] [--out FILE]");
            return 2;
    }
}

var report = new StringBuilder();
void Say(string line)
{
    Console.WriteLine(line);
    report.AppendLine(line);
}

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
var total = TimeSpan.FromMinutes(minutes);
await using var stack = await SwitchboardStack.StartAsync(line => Console.WriteLine("# " + line), cancel.Token);
var schedule = Fault.ForRun(total);
var task = $"soak-{Guid.NewGuid():N}"[..13];
Say($"# soak {minutes} min at {rate}/s, task {task}; faults: " +
    string.Join(", ", schedule.Select(f => $"{f.Name} at {f.At.TotalSeconds:F0} s")));

var names = stack.Memory().Select(m => m.Name).ToArray();
Say($"| minute | requests | ok | errors | p99 ms | {string.Join(" | ", names.Select(n => n + " MB"))} | faults |");
Say($"|---:|---:|---:|---:|---:|{string.Concat(names.Select(_ => "---:|"))}---|");

await using var load = new LoadGenerator([.. stack.Gateways.Select(g => g.BaseAddress)], SwitchboardStack.GatewayKey, task, rate);
var minutesSeen = new SortedDictionary<int, Minute>();
var all = new List<RequestResult>();
var faultLog = new List<(TimeSpan At, string What)>();
load.Start();

var faults = Task.Run(async () =>
{
    foreach (var fault in schedule)
    {
        var wait = fault.At - load.Elapsed;
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, cancel.Token);
        }
        var started = load.Elapsed;
        Console.WriteLine($"# {started.TotalSeconds:F0} s: {fault.Name}");
        // Logged when it starts and when it ends: a row is printed 65 s into its minute, sometimes before a fault
        // that began in it has finished.
        lock (faultLog)
        {
            faultLog.Add((started, $"{fault.Name} from {started.TotalSeconds:F0} s"));
        }
        string what;
        try
        {
            await fault.Inject(stack, cancel.Token);
            what = $"{fault.Name}: over at {load.Elapsed.TotalSeconds:F0} s";
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            what = $"{fault.Name} at {started.TotalSeconds:F0} s FAILED: {ex.Message.Split('\n')[0]}";
            await stack.EnsureRunningAsync(cancel.Token);
        }
        Console.WriteLine($"# {load.Elapsed.TotalSeconds:F0} s: {what}");
        lock (faultLog)
        {
            faultLog.Add((load.Elapsed, what));
        }
    }
});

var printed = 0;
var memory = new Dictionary<int, double[]>();
try
{
    while (load.Elapsed < total && !cancel.IsCancellationRequested)
    {
        await Task.Delay(1000, cancel.Token);
        Collect(load.Drain());
        var minute = (int)(load.Elapsed.TotalSeconds / 60);
        if (!memory.ContainsKey(minute) && load.Elapsed.TotalSeconds % 60 >= 55)
        {
            memory[minute] = [.. stack.Memory().Select(m => m.RssMb)];
        }
        // A minute's row once its requests have had 5 s to finish.
        while (printed < minute && load.Elapsed.TotalSeconds >= (printed * 60) + 65)
        {
            PrintRow(printed++);
        }
    }
}
catch (OperationCanceledException)
{
}
Collect(await load.StopAsync());
await faults.WaitAsync(TimeSpan.FromMinutes(2)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
await stack.EnsureRunningAsync();
memory.TryAdd(printed, [.. stack.Memory().Select(m => m.RssMb)]);
while (minutesSeen.ContainsKey(printed))
{
    PrintRow(printed++);
}

var clients = all.Where(r => !r.Intruder).ToList();
var errors = clients.Count(r => !r.Ok);
var admitted = all.Count(r => r.Intruder && !r.Ok);
var expected = clients.Where(r => r.Status != 0).Sum(r => (long)r.Attempts);
var ledger = await stack.WaitForLedgerAsync(task, expected, TimeSpan.FromMinutes(2));
var group = await stack.WaitForGroupDrainedAsync(RedisKeys.MetricsConsumerGroup, TimeSpan.FromSeconds(30));
// Gateways log their running total of events dropped (buffer full while Redis was away): counted, not lost.
var dropped = stack.Gateways.Sum(SwitchboardStack.OutcomesDropped);
var lost = expected - ledger.Rows - dropped;
Say("");
Say($"requests {all.Count} ({clients.Count} clients + {all.Count - clients.Count} intruders) over {load.Elapsed.TotalMinutes:F1} min, " +
    $"{clients.Count / load.Elapsed.TotalSeconds:F0}/s; errors {errors}; intruders admitted {admitted}; " +
    $"retried on the other replica {clients.Count(r => r.ConnectRetries > 0)}");
Say($"p99 overall {P99(clients.Where(r => r.Ok).Select(r => r.Latency.TotalMilliseconds)):F0} ms");
Say($"events sent {expected}, recorded {ledger.Rows}, dropped and counted by the gateways {dropped} (lost {lost}); rollup attempts {ledger.RollupAttempts}, " +
    $"requests {ledger.Requests} vs rollup {ledger.RollupRequests}; metrics group pending {group.Pending}, lag {group.Lag}");
if (memory.Count >= 2)
{
    var first = memory[memory.Keys.Min()];
    var last = memory[memory.Keys.Max()];
    Say("RSS first -> last minute: " + string.Join(", ", names.Select((n, i) => $"{n} {first[i]:F0} -> {last[i]:F0} MB")));
}
var crashes = stack.Crashes();
Say($"processes that exited by themselves: {crashes.Count}");
foreach (var crash in crashes)
{
    Say(crash);
}
foreach (var sample in clients.Where(r => !r.Ok).Take(10))
{
    Say($"  error #{sample.Index} replica {sample.Replica} at {sample.StartedAt.TotalSeconds:F1} s: {sample.Error}");
}
if (errors > 0 || lost != 0)
{
    Say(stack.Tails());
}
if (outFile is not null)
{
    await File.WriteAllTextAsync(outFile, report.ToString());
}
return errors == 0 && admitted == 0 && lost == 0 && crashes.Count == 0 && ledger.RollupAttempts == ledger.Rows ? 0 : 1;

void Collect(IReadOnlyList<RequestResult> results)
{
    foreach (var r in results)
    {
        all.Add(r);
        var m = (int)(r.StartedAt.TotalSeconds / 60);
        if (!minutesSeen.TryGetValue(m, out var bucket))
        {
            minutesSeen[m] = bucket = new Minute();
        }
        bucket.Add(r);
    }
}

void PrintRow(int m)
{
    var bucket = minutesSeen.GetValueOrDefault(m) ?? new Minute();
    var rss = memory.GetValueOrDefault(m) ?? [.. stack.Memory().Select(x => x.RssMb)];
    string happened;
    lock (faultLog)
    {
        happened = string.Join("; ", faultLog.Where(f => (int)(f.At.TotalSeconds / 60) == m).Select(f => f.What));
    }
    Say($"| {m + 1} | {bucket.Requests} | {bucket.Ok} | {bucket.Errors} | {P99(bucket.Latencies):F0} | " +
        $"{string.Join(" | ", rss.Select(x => x.ToString("F0", CultureInfo.InvariantCulture)))} | {happened} |");
}

static double P99(IEnumerable<double> values)
{
    var sorted = values.Order().ToArray();
    return sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(sorted.Length * 0.99) - 1)];
}

internal sealed class Minute
{
    public int Requests { get; private set; }
    public int Ok { get; private set; }
    public int Errors { get; private set; }
    public List<double> Latencies { get; } = [];

    public void Add(RequestResult r)
    {
        Requests++;
        if (r.Intruder)
        {
            Ok += r.Ok ? 1 : 0;
            Errors += r.Ok ? 0 : 1;
            return;
        }
        if (r.Ok)
        {
            Ok++;
            Latencies.Add(r.Latency.TotalMilliseconds);
        }
        else
        {
            Errors++;
        }
    }
}

/// <summary>One fault of the schedule.</summary>
internal sealed record Fault(string Name, TimeSpan At, Func<SwitchboardStack, CancellationToken, Task> Inject)
{
    private static readonly Fault[] Cycle =
    [
        new("redis killed 20 s", TimeSpan.Zero, async (s, ct) =>
        {
            await s.Redis.KillAsync();
            await Task.Delay(TimeSpan.FromSeconds(20), ct);
            await s.Redis.StartAsync(TimeSpan.FromSeconds(30), ct);
        }),
        new("metrics SIGKILL", TimeSpan.Zero, async (s, ct) =>
        {
            await s.Metrics.KillAsync();
            await s.Metrics.StartAsync(TimeSpan.FromSeconds(60), ct);
        }),
        new("postgres stopped 30 s", TimeSpan.Zero, async (s, ct) =>
        {
            await s.Postgres.StopAsync(ct);
            await Task.Delay(TimeSpan.FromSeconds(30), ct);
            await s.Postgres.StartAsync(ct);
        }),
    ];

    /// <summary>Redis, Metrics.Service, PostgreSQL in turn, the first after 30 s, the last one starting at least 45 s before the end.</summary>
    public static IReadOnlyList<Fault> ForRun(TimeSpan total)
    {
        var interval = total <= TimeSpan.FromMinutes(5) ? TimeSpan.FromSeconds(45) : TimeSpan.FromMinutes(2);
        var list = new List<Fault>();
        for (var at = TimeSpan.FromSeconds(30); at + TimeSpan.FromSeconds(45) <= total; at += interval)
        {
            list.Add(Cycle[list.Count % Cycle.Length] with { At = at });
        }
        return list;
    }
}
