using System.Diagnostics;
using System.Text.Json;
using StackExchange.Redis;
using Switchboard.Contracts.Outcomes;
using Switchboard.Contracts.Redis;
using Switchboard.Metrics.Ingestion;

namespace Switchboard.Metrics.Bench;

/// <summary>
/// Where the service's CPU goes per event, stage by stage, in this process (CPU time, not wall time, so the figures
/// hold on a loaded machine): reading the stream, parsing, building rollup deltas, and the batch writer's client side
/// (COPY encoding, rollup merge) with the PostgreSQL backend's CPU beside it.
/// </summary>
internal static class ProfileBench
{
    public static async Task RunAsync(int requests, int batchSize, int rate)
    {
        var generator = new EventGenerator(seed: 3);
        var now = DateTimeOffset.UtcNow;
        var events = new List<OutcomeEvent>(requests * 2);
        for (var i = 0; i < requests; i++)
        {
            // Timestamps as dense as traffic at the given rate: a batch touches as many rollup cells as it would live.
            generator.Request(now.AddSeconds((double)(i - requests) / rate), events);
        }
        var json = events.ConvertAll(e => JsonSerializer.Serialize(e, ContractJson.Default.OutcomeEvent));
        Console.WriteLine($"== profile: {events.Count:N0} events at {rate:N0} requests/s of traffic, batches of {batchSize:N0}; load average {IngestBench.LoadAverage()}");

        await using var stores = await BenchStores.StartAsync();
        await using var mux = await ConnectionMultiplexer.ConnectAsync(stores.Redis.ConnectionString);
        var db = mux.GetDatabase();
        await BenchStores.AddOutcomesAsync(db, json);
        await db.StreamCreateConsumerGroupAsync(RedisKeys.OutcomesStream, RedisKeys.MetricsConsumerGroup, "0");

        var read = 0L;
        var readCpu = await CpuAsync(async () =>
        {
            while (true)
            {
                var entries = await db.StreamReadGroupAsync(RedisKeys.OutcomesStream, RedisKeys.MetricsConsumerGroup, "p", ">", batchSize);
                if (entries.Length == 0)
                {
                    return;
                }
                read += entries.Length;
                await db.StreamAcknowledgeAsync(RedisKeys.OutcomesStream, RedisKeys.MetricsConsumerGroup, [.. entries.Select(e => e.Id)]);
            }
        });
        Report("XREADGROUP + XACK", readCpu, read);

        // UTF-8 once, outside the measured block: the service parses the stream entry's bytes as they come.
        var utf8 = json.ConvertAll(System.Text.Encoding.UTF8.GetBytes);
        var parsed = new List<OutcomeEvent>(json.Count);
        var parseCpu = await CpuAsync(() =>
        {
            foreach (var bytes in utf8)
            {
                OutcomeParser.TryParse(bytes, out var e, out _);
                parsed.Add(e!);
            }
            return Task.CompletedTask;
        });
        Report("JSON parse + validate", parseCpu, parsed.Count);

        // Side by side, same payloads, same run: the source-generated contract (the code before the fast reader) and
        // the fast reader alone, each twice in turn so neither pays the JIT in its measured round.
        for (var round = 1; round <= 2; round++)
        {
            var serializerCpu = await CpuAsync(() =>
            {
                foreach (var bytes in utf8)
                {
                    _ = OutcomeParser.Deserialize(bytes);
                }
                return Task.CompletedTask;
            });
            var readerCpu = await CpuAsync(() =>
            {
                foreach (var bytes in utf8)
                {
                    _ = OutcomeReader.TryRead(bytes) ?? throw new InvalidOperationException("the fast reader refused a gateway event");
                }
                return Task.CompletedTask;
            });
            Report($"  parse round {round}: serializer (before)", serializerCpu, utf8.Count);
            Report($"  parse round {round}: fast reader (now)", readerCpu, utf8.Count);
        }

        var deltaCpu = await CpuAsync(() =>
        {
            foreach (var chunk in parsed.Chunk(batchSize))
            {
                var (minutes, hours) = BatchWriter.BuildDeltas(chunk, null);
                var dims = BatchWriter.DimensionDeltas(minutes);
                var dimHours = BatchWriter.DimensionDeltas(hours);
                foreach (var cell in minutes.Values.Concat(hours.Values).Concat(dims.Values).Concat(dimHours.Values))
                {
                    cell.Latency.Pack();
                    cell.Ttft.Pack();
                }
            }
            return Task.CompletedTask;
        });
        Report("rollup deltas (full + dimensions, packed)", deltaCpu, parsed.Count);

        const string writerApplication = "metrics-profile";
        var writer = await stores.MigratedWriterAsync(writerApplication);
        await writer.WriteAsync(parsed.Take(100).ToList(), CancellationToken.None); // JIT and the pooled connection
        var pgBefore = await CpuMeter.PostgresCpuAsync(stores.Postgres, writerApplication);
        var watch = Stopwatch.StartNew();
        var writeCpu = await CpuAsync(async () =>
        {
            foreach (var chunk in parsed.Skip(100).Chunk(batchSize))
            {
                await writer.WriteAsync(chunk, CancellationToken.None);
            }
        });
        var wall = watch.Elapsed.TotalSeconds;
        var pg = await CpuMeter.PostgresCpuAsync(stores.Postgres, writerApplication) - pgBefore;
        Report("BatchWriter client side (COPY, rollup merge)", writeCpu, parsed.Count - 100);
        Report("BatchWriter PostgreSQL backend", pg, parsed.Count - 100);
        Console.WriteLine($"BatchWriter wall: {(parsed.Count - 100) / wall:N0} events/s; load average {IngestBench.LoadAverage()}");
    }

    private static void Report(string stage, double cpuSeconds, long events) =>
        Console.WriteLine($"{stage,-48} {cpuSeconds * 1e6 / events,7:F1} us CPU per event");

    private static async Task<double> CpuAsync(Func<Task> work)
    {
        GC.Collect();
        var process = Process.GetCurrentProcess();
        var before = process.TotalProcessorTime;
        await work();
        process.Refresh();
        return (process.TotalProcessorTime - before).TotalSeconds;
    }
}
