using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Npgsql;
using StackExchange.Redis;
using Switchboard.Contracts.Outcomes;
using Switchboard.Contracts.Redis;
using Switchboard.Metrics.Bench;

// dotnet run -c Release --project bench/metrics/Metrics.Bench -- [ingest|query|profile|all] [--events N] [--rate R] [--seconds S] [--requests N]
var mode = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "all";
int Option(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}

if (mode is "ingest" or "all")
{
    await IngestBench.RunAsync(Option("--events", 300_000), Option("--rate", 25_000), Option("--seconds", 20));
}
if (mode is "profile")
{
    await ProfileBench.RunAsync(Option("--requests", 50_000), Option("--batch", 5000), Option("--rate", 20_000));
}
if (mode is "query" or "all")
{
    var reuse = Array.IndexOf(args, "--reuse") is var r && r >= 0 && r + 1 < args.Length ? args[r + 1] : null;
    await QueryBench.RunAsync(Option("--requests", 2_000_000), keep: args.Contains("--keep"), reuse);
}

internal static class IngestBench
{
    /// <summary>
    /// Phase 1: N events already in a fresh stream, the service started on a fresh database: drain rate.
    /// Phase 2: a producer XADDs at a fixed rate while the service runs: the lag printed every second shows whether
    /// ingestion keeps up.
    /// </summary>
    public static async Task RunAsync(int events, int rate, int seconds)
    {
        Console.WriteLine($"== ingest: {events:N0} events backlog, then {rate:N0} events/s for {seconds} s");
        await using var stores = await BenchStores.StartAsync();
        var redis = stores.Redis.ConnectionString;
        var postgres = stores.Postgres;
        await using var mux = await ConnectionMultiplexer.ConnectAsync(redis);
        var db = mux.GetDatabase();
        var generator = new EventGenerator(seed: 1);
        var now = DateTimeOffset.UtcNow;
        var watch = Stopwatch.StartNew();
        // The backlog of an outage at the target rate: the traffic of the last events/rate seconds, in the order the
        // gateways wrote it (as dense in time as the live phase, so a batch touches as many rollup cells).
        var produced = await ProduceAsync(db, generator, events, now.AddSeconds(-(double)events / rate), now, ordered: true);
        Console.WriteLine($"XADD {produced:N0} events in {watch.Elapsed.TotalSeconds:F1} s; load average {LoadAverage()}");

        var serviceDb = new NpgsqlConnectionStringBuilder(postgres) { ApplicationName = ServiceApplication }.ConnectionString;
        await using var service = await ServiceProcess.StartAsync(redis, serviceDb);
        var cpu = new CpuMeter(service.Process, postgres, redis, ServiceApplication);
        var cpuStart = await cpu.SampleAsync();
        watch.Restart();
        await WatchAsync(db, postgres, produced, watch, untilDrained: true, service: service.Process);
        var drained = watch.Elapsed.TotalSeconds;
        var drainCpu = await cpu.SampleAsync() - cpuStart;
        Console.WriteLine($"DRAIN: {produced:N0} events in {drained:F1} s = {produced / drained:N0} events/s (from service ready); load average {LoadAverage()}");
        Console.WriteLine($"DRAIN {drainCpu.PerThousand(produced)}");

        Console.WriteLine($"LIVE: producing {rate:N0} events/s for {seconds} s");
        var stored = await RowsAsync(postgres);
        var liveCpuStart = await cpu.SampleAsync();
        var producerCpuStart = BenchCpu();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        var producer = Task.Run(async () =>
        {
            long total = 0;
            var clock = Stopwatch.StartNew();
            while (!stop.IsCancellationRequested)
            {
                var due = (long)(clock.Elapsed.TotalSeconds * rate) - total;
                if (due <= 0)
                {
                    await Task.Delay(5);
                    continue;
                }
                var t = DateTimeOffset.UtcNow;
                total += await ProduceAsync(db, generator, (int)Math.Min(due, 5000), t, t);
            }
            return total;
        });
        watch.Restart();
        long maxLag = 0;
        while (!producer.IsCompleted)
        {
            await Task.Delay(1000);
            var (pending, lag) = await GroupAsync(db);
            var rows = await RowsAsync(postgres) - stored;
            maxLag = Math.Max(maxLag, pending + lag);
            Console.WriteLine($"  t={watch.Elapsed.TotalSeconds,5:F1}s stored={rows,9:N0} ({rows / watch.Elapsed.TotalSeconds,8:N0}/s) lag={lag,7:N0} pending={pending,6:N0}");
        }
        var live = await producer;
        var producerCpu = BenchCpu() - producerCpuStart;
        var producing = watch.Elapsed.TotalSeconds;
        await WatchAsync(db, postgres, produced + live, watch, untilDrained: true, quiet: true, service: service.Process);
        var liveCpu = await cpu.SampleAsync() - liveCpuStart;
        Console.WriteLine($"LIVE: {live:N0} events produced at {live / (double)seconds:N0}/s; max lag {maxLag:N0} events; all stored {watch.Elapsed.TotalSeconds:F1} s after start; load average {LoadAverage()}");
        Console.WriteLine($"LIVE {liveCpu.PerThousand(live)}");
        // The producer (this process: event generation, JSON, XADD) shares the 2 cores; the gateways do this
        // work on their own machines in production, so it is printed apart from the ingestion path.
        Console.WriteLine($"LIVE producer (bench process) CPU per 1,000 events: {producerCpu * 1000 / (live / 1000.0):F0} ms " +
                          $"({producerCpu / producing * 100:F0}% of one core over {producing:F1} s)");
    }

    private const string ServiceApplication = "metrics-bench-service";

    private static double BenchCpu() => Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;

    internal static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";

    private static async Task<int> ProduceAsync(IDatabase db, EventGenerator generator, int requests, DateTimeOffset from, DateTimeOffset to,
        bool ordered = false)
    {
        var produced = 0;
        var buffer = new List<OutcomeEvent>(10_000);
        var random = new Random(requests);
        for (var done = 0; done < requests;)
        {
            buffer.Clear();
            while (buffer.Count < 5000 && done < requests)
            {
                var share = ordered ? (double)done / requests : random.NextDouble();
                generator.Request(from.AddTicks((long)(share * (to - from).Ticks)), buffer);
                done += 1;
            }
            produced += await BenchStores.AddOutcomesAsync(db, buffer.Select(e => JsonSerializer.Serialize(e, ContractJson.Default.OutcomeEvent)));
        }
        return produced;
    }

    /// <summary>Waits until every event is stored; prints rows, lag and (with the service) its CPU per 1,000 events of each interval.</summary>
    private static async Task WatchAsync(IDatabase db, string cs, long expected, Stopwatch watch, bool untilDrained, bool quiet = false,
        Process? service = null)
    {
        var lastRows = -1L;
        var lastCpu = 0.0;
        while (true)
        {
            var rows = await RowsAsync(cs);
            var (pending, lag) = await GroupAsync(db);
            service?.Refresh();
            var cpu = service?.TotalProcessorTime.TotalSeconds ?? 0;
            if (!quiet)
            {
                // The service's own CPU over this interval per 1,000 rows stored in it: the JIT warm-up shows in the
                // first seconds, the steady cost after.
                var perK = lastRows >= 0 && rows > lastRows ? $" service CPU {(cpu - lastCpu) * 1e6 / (rows - lastRows),5:F0} ms/1k" : "";
                Console.WriteLine($"  t={watch.Elapsed.TotalSeconds,5:F1}s stored={rows,9:N0} lag={lag,9:N0} pending={pending,6:N0}{perK}");
            }
            if (lastRows < 0 || rows > lastRows)
            {
                lastRows = rows;
                lastCpu = cpu;
            }
            if (rows >= expected && pending + lag == 0)
            {
                return;
            }
            await Task.Delay(untilDrained ? 1000 : 250);
        }
    }

    private static async Task<(long Pending, long Lag)> GroupAsync(IDatabase db)
    {
        try
        {
            var group = (await db.StreamGroupInfoAsync(RedisKeys.OutcomesStream)).FirstOrDefault(g => g.Name == RedisKeys.MetricsConsumerGroup);
            return (group.PendingMessageCount, group.Lag ?? 0);
        }
        catch (RedisServerException)
        {
            return (0, long.MaxValue);
        }
    }

    internal static async Task<long> RowsAsync(string cs)
    {
        try
        {
            await using var connection = new NpgsqlConnection(cs);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT count(*) FROM request_log", connection);
            return (long)(await command.ExecuteScalarAsync())!;
        }
        catch (PostgresException)
        {
            return 0; // Not migrated yet.
        }
    }
}

internal static class QueryBench
{
    /// <summary>
    /// Loads N requests spread over the last 24 h into a fresh database through the ingestion writer (COPY + rollups,
    /// as from the stream), then times GET /api/sla over those 24 h for each groupBy against the service process.
    /// </summary>
    public static async Task RunAsync(int requests, bool keep, string? reuse = null)
    {
        if (reuse is not null)
        {
            // A database kept by an earlier --keep run: time the queries again without loading.
            await using var redisOnly = await BenchStores.StartAsync(postgres: false);
            await TimeQueriesAsync(redisOnly.Redis.ConnectionString, reuse, DateTimeOffset.UtcNow.AddHours(-24), DateTimeOffset.UtcNow);
            return;
        }
        Console.WriteLine($"== query: {requests:N0} requests over 24 h");
        await using var stores = await BenchStores.StartAsync(keep: keep);
        var writer = await stores.MigratedWriterAsync();
        var generator = new EventGenerator(seed: 2);
        var now = DateTimeOffset.UtcNow;
        var from = now.AddHours(-24);
        var step = TimeSpan.FromTicks(TimeSpan.FromHours(24).Ticks / requests);
        var batch = new List<OutcomeEvent>(12_000);
        long events = 0;
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < requests; i++)
        {
            generator.Request(from + (step * i), batch);
            if (batch.Count >= 10_000 || i == requests - 1)
            {
                events += (await writer.WriteAsync(batch, CancellationToken.None)).Inserted;
                batch.Clear();
                if (i % 200_000 < 5000)
                {
                    Console.WriteLine($"  loaded {i + 1:N0} requests ({events:N0} events) {events / watch.Elapsed.TotalSeconds:N0} events/s");
                }
            }
        }
        Console.WriteLine($"LOAD: {requests:N0} requests = {events:N0} events through BatchWriter in {watch.Elapsed.TotalSeconds:F1} s = {events / watch.Elapsed.TotalSeconds:N0} events/s; load average {IngestBench.LoadAverage()}");
        await using (var connection = new NpgsqlConnection(stores.Postgres))
        {
            await connection.OpenAsync();
            await using var vacuum = new NpgsqlCommand("VACUUM ANALYZE", connection);
            await vacuum.ExecuteNonQueryAsync();
        }

        await TimeQueriesAsync(stores.Redis.ConnectionString, stores.Postgres, from, now);
    }

    private static async Task TimeQueriesAsync(string redis, string metricsdb, DateTimeOffset from, DateTimeOffset now)
    {
        await using var service = await ServiceProcess.StartAsync(redis, metricsdb);
        using var http = service.CreateClient();
        // The window as an operator asks it: the last 24 h, to the second (not minute-aligned).
        var window = $"from={Uri.EscapeDataString(from.ToString("O"))}&to={Uri.EscapeDataString(now.AddSeconds(1).ToString("O"))}";
        Console.WriteLine($"load average {IngestBench.LoadAverage()}");
        // Unfiltered group-bys and group-by-day read the single-dimension rollups; a group-by with a filter on
        // another dimension (route x provider) reads the full rollups; timeseries is the chart query.
        string[] queries =
        [
            "sla?groupBy=provider", "sla?groupBy=model", "sla?groupBy=route", "sla?groupBy=key", "sla?groupBy=day",
            "sla?groupBy=route&provider=openai", "cost?groupBy=key&route=chat", "timeseries?groupBy=provider&step=5m",
        ];
        // What the first operator sees: each query once, in turn, as soon as the service reports ready.
        foreach (var query in queries)
        {
            var first = Stopwatch.StartNew();
            (await http.GetAsync(new Uri($"/api/{query}&{window}", UriKind.Relative))).EnsureSuccessStatusCode();
            Console.WriteLine($"FIRST GET /api/{query,-36} {first.Elapsed.TotalMilliseconds,7:F1} ms (after ready, before any other query)");
        }
        foreach (var query in queries)
        {
            var uri = new Uri($"/api/{query}&{window}", UriKind.Relative);
            var times = new List<double>();
            string body = "";
            service.Process.Refresh();
            var cpuBefore = service.Process.TotalProcessorTime;
            for (var i = 0; i < 20; i++)
            {
                var sw = Stopwatch.StartNew();
                using var response = await http.GetAsync(uri);
                body = await response.Content.ReadAsStringAsync();
                response.EnsureSuccessStatusCode();
                times.Add(sw.Elapsed.TotalMilliseconds);
            }
            times.Sort();
            service.Process.Refresh();
            var cpuMs = (service.Process.TotalProcessorTime - cpuBefore).TotalMilliseconds / times.Count;
            using var json = JsonDocument.Parse(body);
            var total = json.RootElement.EnumerateArray().Sum(r => r.TryGetProperty("requests", out var n) ? n.GetInt64()
                : r.TryGetProperty("points", out var points) ? points.EnumerateArray().Sum(p => p.GetProperty("requests").GetInt64()) : 0);
            Console.WriteLine($"GET /api/{query,-36} p50 {times[10],6:F1} ms  max {times[^1],6:F1} ms  service CPU {cpuMs,6:F1} ms/query  ({json.RootElement.GetArrayLength()} groups, {total:N0} requests)");
        }
    }
}
