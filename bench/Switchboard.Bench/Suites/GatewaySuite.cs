using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using Switchboard.Bench.Hosting;
using Switchboard.Bench.Load;

namespace Switchboard.Bench.Suites;

/// <summary>
/// Issue 4's table: the same upstream (Provider.Simulator, zero-latency profile) called directly, through
/// Switchboard (auth, routing, accounting and outcome events to Redis all on), through bare YARP and through
/// Portkey, side by side in one run.
/// </summary>
internal static class GatewaySuite
{
    private const string Model = "gpt-4o-2024-08-06";
    private const string GatewayKey = "sb-bench-key-1234567890";

    public static async Task<int> RunAsync(BenchOptions o)
    {
        var loadBefore = ScenarioSuite.LoadAverage();
        var root = o.RepoRoot;
        await using var redis = await RedisProcess.StartAsync();
        var simPort = ServerProcess.FreePort();
        await using var sim = await ServerProcess.StartAsync("simulator", "dotnet",
            [o.Dll("Provider.Simulator"), "--urls", $"http://127.0.0.1:{simPort}"], simPort, "/health",
            workingDirectory: Path.Combine(root, "Provider.Simulator"));
        using (var http = new HttpClient())
        {
            using var put = await http.PutAsJsonAsync($"{sim.BaseUrl}/_sim/providers/bench", new
            {
                type = "openai", ttftMs = new { p50 = 0, p99 = 0 }, tokensPerSecond = 0, outputTokens = 16,
                failureRate = 0.0, hang = false, requestsPerMinute = 0,
            });
            put.EnsureSuccessStatusCode();
        }
        var upstreamBase = $"{sim.BaseUrl}/bench/v1";

        var config = Path.Combine(Path.GetTempPath(), $"sb-bench-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(config, $$"""
            {
              "providers": { "sim": { "type": "openai", "baseUrl": "{{upstreamBase}}", "apiKey": "sim-key" } },
              "routes": { "bench": { "targets": [ { "provider": "sim", "model": "{{Model}}" } ], "maxAttempts": 1 } },
              "keys": [ { "name": "bench", "key": "{{GatewayKey}}" } ]
            }
            """);

        var gatewayPort = ServerProcess.FreePort();
        await using var gateway = await ServerProcess.StartAsync("switchboard", "dotnet",
            [o.Dll("Gateway.Api"), "--urls", $"http://127.0.0.1:{gatewayPort}", "--config", config], gatewayPort, "/health",
            env: new Dictionary<string, string> { ["ConnectionStrings__redis"] = redis.Endpoint },
            workingDirectory: Path.Combine(root, "Gateway.Api"));
        var yarpPort = ServerProcess.FreePort();
        await using var yarp = await ServerProcess.StartAsync("yarp", "dotnet",
            [o.Dll("YarpForwarder", "bench"), "--urls", $"http://127.0.0.1:{yarpPort}", "--upstream", sim.BaseUrl], yarpPort, "/health");
        var barePort = ServerProcess.FreePort();
        await using var bare = await ServerProcess.StartAsync("bare", "dotnet",
            [o.Dll("BareForwarder", "bench"), "--urls", $"http://127.0.0.1:{barePort}", "--upstream", sim.BaseUrl], barePort, "/health");
        ServerProcess? portkey = null;
        if (!o.SkipPortkey)
        {
            var pkPort = ServerProcess.FreePort();
            var pkDir = Path.Combine(root, "bench", "portkey");
            portkey = await ServerProcess.StartAsync("portkey", "node",
                ["-r", "./bind-loopback.cjs", "node_modules/@portkey-ai/gateway/build/start-server.js", $"--port={pkPort}", "--headless"],
                pkPort, "/", workingDirectory: pkDir);
        }

        var targets = new List<Target>
        {
            new("direct", null, $"{sim.BaseUrl}/bench/v1/chat/completions", Model, new Dictionary<string, string> { ["Authorization"] = "Bearer sim-key" }),
            new("switchboard", gateway, $"{gateway.BaseUrl}/v1/chat/completions", "bench", new Dictionary<string, string> { ["Authorization"] = $"Bearer {GatewayKey}" }),
            new("yarp (bare)", yarp, $"{yarp.BaseUrl}/bench/v1/chat/completions", Model, new Dictionary<string, string> { ["Authorization"] = "Bearer sim-key" }),
            new("bare forwarder", bare, $"{bare.BaseUrl}/bench/v1/chat/completions", Model, new Dictionary<string, string> { ["Authorization"] = "Bearer sim-key" }),
        };
        if (portkey is not null)
        {
            targets.Add(new("portkey 1.15.2", portkey, $"{portkey.BaseUrl}/v1/chat/completions", Model, new Dictionary<string, string>
            {
                ["Authorization"] = "Bearer sim-key",
                ["x-portkey-provider"] = "openai",
                ["x-portkey-custom-host"] = upstreamBase,
            }));
        }

        var rows = new List<Row>();
        using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256, UseProxy = false }) { Timeout = TimeSpan.FromSeconds(30) };
        foreach (var t in targets)
        {
            Console.Error.WriteLine($"bench: {t.Name} ...");
            var plain = Body(t.Model, stream: false);
            var streamed = Body(t.Model, stream: true);
            // Warm-up, both paths: connection pools, and tiered JIT (code reaches its optimized tier only after
            // thousands of calls, later on a busy machine; a gateway has more code on its path than a bare forwarder).
            await Wrk.RunAsync(t.Url, plain, t.Headers, 2, 16, TimeSpan.FromSeconds(5));
            await Wrk.RunAsync(t.Url, streamed, t.Headers, 2, 16, TimeSpan.FromSeconds(3));
            var rss = new RssSampler(t.Server);
            // CPU the server spent per request at saturation: a side-by-side figure that other work on the machine
            // skews far less than requests per second.
            var cpu0 = t.Server?.CpuTime();
            var sat = await Wrk.RunAsync(t.Url, plain, t.Headers, 2, o.Connections, o.Duration);
            var cpu1 = t.Server?.CpuTime();
            var satStream = await Wrk.RunAsync(t.Url, streamed, t.Headers, 2, o.Connections, o.Duration);
            var cpu2 = t.Server?.CpuTime();
            var peakRss = rss.Stop();
            var one = await Wrk.RunAsync(t.Url, plain, t.Headers, 1, 1, o.Duration);
            var fixedRate = await Probes.FixedRateAsync(client, t.Url, plain, t.Headers, o.Rate, o.Duration);
            var ttfb = await Probes.StreamFirstByteAsync(client, t.Url, streamed, t.Headers, o.StreamSamples);
            rows.Add(new Row(t.Name, sat, satStream, one, fixedRate, ttfb, peakRss,
                CpuMsPer1k(cpu1 - cpu0, sat.Requests), CpuMsPer1k(cpu2 - cpu1, satStream.Requests)));
        }

        Print(rows, o, loadBefore);
        File.Delete(config);
        if (portkey is not null) await portkey.DisposeAsync();
        return 0;
    }

    private static double CpuMsPer1k(TimeSpan? cpu, long requests) =>
        cpu is { } c && requests > 0 ? c.TotalMilliseconds * 1000 / requests : double.NaN;

    private static string Cpu(double ms) => double.IsNaN(ms) ? "-" : ms.ToString("0", CultureInfo.InvariantCulture);

    private static string Body(string model, bool stream) =>
        $$"""{"model":"{{model}}","messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"Say hello to the benchmark."}],"max_tokens":32{{(stream ? ",\"stream\":true" : "")}}}""";

    private static void Print(List<Row> rows, BenchOptions o, string loadBefore)
    {
        var d = rows[0];
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"Gateway benchmark: {Environment.ProcessorCount} cores, {o.Duration.TotalSeconds:0} s per run, {o.Connections} connections at saturation, {o.Rate} req/s fixed rate, {o.StreamSamples} sequential streams.");
        sb.AppendLine("Added = through the proxy minus direct to the upstream, same run.");
        sb.AppendLine();
        sb.AppendLine("| target | req/s (non-stream) | req/s (stream) | 1 conn p50 / p99 ms | added 1 conn p50 / p99 ms | fixed-rate p50 / p99 ms | added fixed-rate p50 / p99 ms | stream TTFB p50 / p99 ms | added TTFB p50 / p99 ms | peak RSS MB | server CPU ms per 1k req (non-stream / stream) | errors |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in rows)
        {
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"| {r.Name} | {r.Sat.RequestsPerSecond:0} | {r.SatStream.RequestsPerSecond:0} | {r.One.P50Ms:0.000} / {r.One.P99Ms:0.000} | {r.One.P50Ms - d.One.P50Ms:+0.000;-0.000} / {r.One.P99Ms - d.One.P99Ms:+0.000;-0.000} | {r.Fixed.P50:0.000} / {r.Fixed.P99:0.000} | {r.Fixed.P50 - d.Fixed.P50:+0.000;-0.000} / {r.Fixed.P99 - d.Fixed.P99:+0.000;-0.000} | {r.Ttfb.P50:0.000} / {r.Ttfb.P99:0.000} | {r.Ttfb.P50 - d.Ttfb.P50:+0.000;-0.000} / {r.Ttfb.P99 - d.Ttfb.P99:+0.000;-0.000} | {(double.IsNaN(r.PeakRssMb) ? "-" : r.PeakRssMb.ToString("0", CultureInfo.InvariantCulture))} | {Cpu(r.CpuSat)} / {Cpu(r.CpuStream)} | {r.Sat.Non2xx + r.Sat.Errors + r.SatStream.Non2xx + r.SatStream.Errors + r.Fixed.Failures + r.Ttfb.Failures} |");
        }
        var sw = rows.FirstOrDefault(r => r.Name == "switchboard");
        var yarp = rows.FirstOrDefault(r => r.Name.StartsWith("yarp", StringComparison.Ordinal));
        var bare = rows.FirstOrDefault(r => r.Name == "bare forwarder");
        var pk = rows.FirstOrDefault(r => r.Name.StartsWith("portkey", StringComparison.Ordinal));
        if (sw is not null)
        {
            // Issue 4's targets, each judged on this run's side-by-side figures.
            sb.AppendLine();
            sb.AppendLine("| issue 4 target | measured | goal | result |");
            sb.AppendLine("|---|---|---|---|");
            void Judge(string name, double measured, string format, string goal, bool pass) =>
                sb.AppendLine(CultureInfo.InvariantCulture, $"| {name} | {measured.ToString(format, CultureInfo.InvariantCulture)} | {goal} | {(double.IsNaN(measured) ? "n/a" : pass ? "PASS" : "FAIL")} |");
            if (yarp is not null)
            {
                var ratio = sw.Sat.RequestsPerSecond / yarp.Sat.RequestsPerSecond;
                Judge("throughput vs bare YARP (non-stream)", ratio * 100, "0'%'", ">= 80%", ratio >= 0.8);
                var streamRatio = sw.SatStream.RequestsPerSecond / yarp.SatStream.RequestsPerSecond;
                Judge("throughput vs bare YARP (stream)", streamRatio * 100, "0'%'", ">= 80%", streamRatio >= 0.8);
                sb.AppendLine(CultureInfo.InvariantCulture, $"| (server CPU per request vs bare YARP, non-stream / stream) | {sw.CpuSat / yarp.CpuSat:0.00}x / {sw.CpuStream / yarp.CpuStream:0.00}x | - | info |");
            }
            if (bare is not null)
            {
                var ratio = sw.Sat.RequestsPerSecond / bare.Sat.RequestsPerSecond;
                Judge("throughput vs bare forwarder (non-stream)", ratio * 100, "0'%'", ">= 80%", ratio >= 0.8);
                var streamRatio = sw.SatStream.RequestsPerSecond / bare.SatStream.RequestsPerSecond;
                Judge("throughput vs bare forwarder (stream)", streamRatio * 100, "0'%'", ">= 80%", streamRatio >= 0.8);
                sb.AppendLine(CultureInfo.InvariantCulture, $"| (server CPU per request vs bare forwarder, non-stream / stream) | {sw.CpuSat / bare.CpuSat:0.00}x / {sw.CpuStream / bare.CpuStream:0.00}x | - | info |");
            }
            if (pk is not null)
            {
                var ratio = sw.Sat.RequestsPerSecond / pk.Sat.RequestsPerSecond;
                Judge("throughput vs Portkey (non-stream)", ratio, "0.0'x'", ">= 10x", ratio >= 10);
            }
            var addedP50 = sw.One.P50Ms - d.One.P50Ms;
            var addedP99 = sw.One.P99Ms - d.One.P99Ms;
            var addedTtfb = sw.Ttfb.P50 - d.Ttfb.P50;
            Judge("added latency, 1 connection, p50 (ms)", addedP50, "+0.000;-0.000", "<= 0.15", addedP50 <= 0.15);
            foreach (var floor in new[] { yarp, bare })
            {
                if (floor is not null)
                {
                    // What the extra hop itself costs on this machine: a proxy that does nothing but forward.
                    sb.AppendLine(CultureInfo.InvariantCulture, $"| (added p50 at 1 connection of {floor.Name}: the floor of a .NET proxy here) | {floor.One.P50Ms - d.One.P50Ms:+0.000;-0.000} | - | info |");
                }
            }
            Judge("added latency, 1 connection, p99 (ms)", addedP99, "+0.000;-0.000", "<= 1", addedP99 <= 1);
            Judge("added stream time to first byte, p50 (ms)", addedTtfb, "+0.000;-0.000", "<= 1", addedTtfb <= 1);
            Judge("peak RSS under load (MB)", sw.PeakRssMb, "0", "<= 150", sw.PeakRssMb <= 150);
        }
        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"load average: {loadBefore} at start, {ScenarioSuite.LoadAverage()} at end (1, 5, 15 min; other work on the machine skews absolute figures, not the side-by-side ratios as much)");
        Console.WriteLine(sb.ToString());
        if (o.Output is not null) File.WriteAllText(o.Output, sb.ToString());
    }

    private sealed record Target(string Name, ServerProcess? Server, string Url, string Model, IReadOnlyDictionary<string, string> Headers);
    private sealed record Row(string Name, WrkResult Sat, WrkResult SatStream, WrkResult One, Latency Fixed, Latency Ttfb, double PeakRssMb, double CpuSat, double CpuStream);

    /// <summary>Samples a server's RSS every 200 ms until stopped; returns the peak.</summary>
    private sealed class RssSampler
    {
        private readonly CancellationTokenSource _cts = new();
        private readonly Task<double> _task;

        public RssSampler(ServerProcess? server)
        {
            _task = server is null ? Task.FromResult(double.NaN) : Task.Run(async () =>
            {
                var peak = 0.0;
                while (!_cts.IsCancellationRequested)
                {
                    peak = Math.Max(peak, server.RssMb());
                    try { await Task.Delay(200, _cts.Token); } catch (OperationCanceledException) { }
                }
                return peak;
            });
        }

        public double Stop()
        {
            _cts.Cancel();
            return _task.GetAwaiter().GetResult();
        }
    }
}
