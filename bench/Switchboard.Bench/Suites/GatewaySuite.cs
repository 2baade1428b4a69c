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
        var elapsed = System.Diagnostics.Stopwatch.StartNew();
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
        var simulatorBase = $"{sim.BaseUrl}/bench/v1";
        using var capture = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        // The judged runs go to nginx replaying the simulator's answers (CannedUpstream says why); --upstream
        // simulator measures against the simulator itself.
        await using var canned = o.Upstream == "nginx"
            ? await CannedUpstream.StartAsync(capture, simulatorBase, Body(Model, stream: false), Body(Model, stream: true, usage: true), "sim-key")
            : null;
        var upstream = canned?.BaseUrl ?? sim.BaseUrl;
        var (plainPath, streamPath) = canned is null ? ("/bench/v1", "/bench/v1") : (CannedUpstream.PlainPath, CannedUpstream.StreamPath);
        if (canned is not null)
        {
            await sim.DisposeAsync(); // captured: an idle process less on the machine
        }

        var config = Path.Combine(Path.GetTempPath(), $"sb-bench-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(config, $$"""
            {
              "providers": {
                "sim": { "type": "openai", "baseUrl": "{{upstream}}{{plainPath}}", "apiKey": "sim-key" },
                "sim-stream": { "type": "openai", "baseUrl": "{{upstream}}{{streamPath}}", "apiKey": "sim-key" }
              },
              "routes": {
                "bench": { "targets": [ { "provider": "sim", "model": "{{Model}}" } ], "maxAttempts": 1 },
                "bench-stream": { "targets": [ { "provider": "sim-stream", "model": "{{Model}}" } ], "maxAttempts": 1 }
              },
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
            [o.Dll("YarpForwarder", "bench"), "--urls", $"http://127.0.0.1:{yarpPort}", "--upstream", upstream], yarpPort, "/health");
        var barePort = ServerProcess.FreePort();
        await using var bare = await ServerProcess.StartAsync("bare", "dotnet",
            [o.Dll("BareForwarder", "bench"), "--urls", $"http://127.0.0.1:{barePort}", "--upstream", upstream], barePort, "/health");
        ServerProcess? portkey = null;
        if (!o.SkipPortkey)
        {
            var pkPort = ServerProcess.FreePort();
            var pkDir = Path.Combine(root, "bench", "portkey");
            portkey = await ServerProcess.StartAsync("portkey", "node",
                ["-r", "./bind-loopback.cjs", "node_modules/@portkey-ai/gateway/build/start-server.js", $"--port={pkPort}", "--headless"],
                pkPort, "/", workingDirectory: pkDir);
        }

        var upstreamKey = new Dictionary<string, string> { ["Authorization"] = "Bearer sim-key" };
        Target Forwarding(string name, ServerProcess? server, string baseUrl) => new(name, server,
            new Call($"{baseUrl}{plainPath}/chat/completions", Body(Model, stream: false), upstreamKey),
            new Call($"{baseUrl}{streamPath}/chat/completions", Body(Model, stream: true), upstreamKey));
        var gatewayKey = new Dictionary<string, string> { ["Authorization"] = $"Bearer {GatewayKey}" };
        var targets = new List<Target>
        {
            Forwarding("direct", null, upstream),
            new("switchboard", gateway,
                new Call($"{gateway.BaseUrl}/v1/chat/completions", Body("bench", stream: false), gatewayKey),
                new Call($"{gateway.BaseUrl}/v1/chat/completions", Body("bench-stream", stream: true), gatewayKey)),
            Forwarding("yarp (bare)", yarp, yarp.BaseUrl),
            Forwarding("bare forwarder", bare, bare.BaseUrl),
        };
        if (portkey is not null)
        {
            Dictionary<string, string> PortkeyHeaders(string path) => new(upstreamKey)
            {
                ["x-portkey-provider"] = "openai",
                ["x-portkey-custom-host"] = upstream + path,
            };
            targets.Add(new("portkey 1.15.2", portkey,
                new Call($"{portkey.BaseUrl}/v1/chat/completions", Body(Model, stream: false), PortkeyHeaders(plainPath)),
                new Call($"{portkey.BaseUrl}/v1/chat/completions", Body(Model, stream: true), PortkeyHeaders(streamPath))));
        }

        using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256, UseProxy = false }) { Timeout = TimeSpan.FromSeconds(30) };
        foreach (var t in targets)
        {
            Console.Error.WriteLine($"bench: {t.Name} warm-up ...");
            // Warm-up, both paths: connection pools, and tiered JIT (code reaches its optimized tier only after
            // thousands of calls, later on a busy machine; a gateway has more code on its path than a bare forwarder).
            await Wrk.RunAsync(t.Plain, 2, 16, TimeSpan.FromSeconds(5));
            await Wrk.RunAsync(t.Streamed, 2, 16, TimeSpan.FromSeconds(3));
        }

        // Rounds: each visits every target in turn, so drift in the machine's state (other work, thermal, page cache)
        // lands on all targets alike instead of on whichever one happened to run during it.
        var rounds = targets.ToDictionary(t => t, _ => new List<Round>());
        for (var r = 1; r <= o.Rounds; r++)
        {
            foreach (var t in targets)
            {
                Console.Error.WriteLine($"bench: round {r}/{o.Rounds} {t.Name} ...");
                rounds[t].Add(await MeasureRoundAsync(t, o));
            }
        }

        var rows = new List<Row>();
        foreach (var t in targets)
        {
            Console.Error.WriteLine($"bench: {t.Name} fixed rate and stream TTFB ...");
            var fixedRate = await Probes.FixedRateAsync(client, t.Plain.Url, t.Plain.Body, t.Plain.Headers, o.Rate, o.Duration);
            var ttfb = await Probes.StreamFirstByteAsync(client, t.Streamed.Url, t.Streamed.Body, t.Streamed.Headers, o.StreamSamples);
            rows.Add(new Row(t.Name, rounds[t], fixedRate, ttfb));
        }

        Print(rows, o, loadBefore, elapsed.Elapsed);
        File.Delete(config);
        if (portkey is not null) await portkey.DisposeAsync();
        return 0;
    }

    /// <summary>One round for one target: saturation non-stream and stream (server CPU and RSS sampled), then 1 connection.</summary>
    private static async Task<Round> MeasureRoundAsync(Target t, BenchOptions o)
    {
        var rss = new RssSampler(t.Server);
        // CPU the server spent per request at saturation: a side-by-side figure that other work on the machine
        // skews far less than requests per second.
        var cpu0 = t.Server?.CpuTime();
        var sat = await Wrk.RunAsync(t.Plain, 2, o.Connections, o.Duration);
        var cpu1 = t.Server?.CpuTime();
        var satStream = await Wrk.RunAsync(t.Streamed, 2, o.Connections, o.Duration);
        var cpu2 = t.Server?.CpuTime();
        var peakRss = rss.Stop();
        var one = await Wrk.RunAsync(t.Plain, 1, 1, o.Duration);
        return new Round(sat, satStream, one, peakRss, CpuMsPer1k(cpu1 - cpu0, sat.Requests), CpuMsPer1k(cpu2 - cpu1, satStream.Requests));
    }

    private static double CpuMsPer1k(TimeSpan? cpu, long requests) =>
        cpu is { } c && requests > 0 ? c.TotalMilliseconds * 1000 / requests : double.NaN;

    /// <summary>The chat request each target gets; <paramref name="usage"/> adds what the gateway asks a stream for (the canned stream must carry usage).</summary>
    private static string Body(string model, bool stream, bool usage = false) =>
        $$"""{"model":"{{model}}","messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"Say hello to the benchmark."}],"max_tokens":32{{(stream ? ",\"stream\":true" : "")}}{{(usage ? ",\"stream_options\":{\"include_usage\":true}" : "")}}}""";

    /// <summary>Median (mean of the middle two for an even count); NaN if any value is NaN.</summary>
    internal static double Median(IEnumerable<double> values)
    {
        var v = values.ToArray();
        if (v.Length == 0 || v.Any(double.IsNaN)) return double.NaN;
        Array.Sort(v);
        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }

    /// <summary>"median (min-max)", the range in thousands (12.4k) when it reaches 10,000; the median alone for one round.</summary>
    internal static string Spread(IReadOnlyList<double> values, string format)
    {
        string F(double x) => x.ToString(format, CultureInfo.InvariantCulture);
        var thousands = values.Max() >= 10_000; // both ends in one unit: "8.3k-13.0k", not "8295-13.0k"
        string Compact(double x) => thousands ? (x / 1000).ToString("0.0", CultureInfo.InvariantCulture) + "k" : F(x);
        var median = F(Median(values));
        return values.Count < 2 || values.Any(double.IsNaN) ? median : $"{median} ({Compact(values.Min())}-{Compact(values.Max())})";
    }

    /// <summary>A figure, or "-" when the target has none (direct has no server to sample).</summary>
    private static string OrDash(double value, string format = "0") => double.IsNaN(value) ? "-" : value.ToString(format, CultureInfo.InvariantCulture);

    private static void Print(List<Row> rows, BenchOptions o, string loadBefore, TimeSpan elapsed)
    {
        var d = rows[0];
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"Gateway benchmark: {Environment.ProcessorCount} cores, {o.Duration.TotalSeconds:0} s per run, {o.Connections} connections at saturation, {o.Rate} req/s fixed rate, {o.StreamSamples} sequential streams.");
        sb.AppendLine(CultureInfo.InvariantCulture, $"{o.Rounds} rounds, each running every target in turn (saturation non-stream, saturation stream, 1 connection); figures are the median over rounds, (min-max) the spread, peak RSS the max over rounds. Fixed-rate and stream TTFB probes: once per target, after the rounds.");
        sb.AppendLine(o.Upstream == "nginx"
            ? "Upstream: nginx replaying the simulator's answers (zero-latency profile, 16 output tokens), one worker; `--upstream simulator` runs against the simulator itself."
            : "Upstream: the simulator (zero-latency profile, 16 output tokens); its thread pool spins at one connection and competes with the proxy for the cores.");
        sb.AppendLine("Added = through the proxy minus direct to the upstream, same run.");
        sb.AppendLine();
        sb.AppendLine("| target | req/s (non-stream) | req/s (stream) | 1 conn p50 / p99 ms | added 1 conn p50 / p99 ms | fixed-rate p50 / p99 ms | added fixed-rate p50 / p99 ms | stream TTFB p50 / p99 ms | added TTFB p50 / p99 ms | peak RSS MB | server CPU ms per 1k req (non-stream / stream) | errors |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in rows)
        {
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"| {r.Name} | {Spread(r.Values(x => x.Sat.RequestsPerSecond), "0")} | {Spread(r.Values(x => x.SatStream.RequestsPerSecond), "0")} | {Spread(r.Values(x => x.One.P50Ms), "0.000")} / {r.OneP99:0.000} | {r.OneP50 - d.OneP50:+0.000;-0.000} / {r.OneP99 - d.OneP99:+0.000;-0.000} | {r.Fixed.P50:0.000} / {r.Fixed.P99:0.000} | {r.Fixed.P50 - d.Fixed.P50:+0.000;-0.000} / {r.Fixed.P99 - d.Fixed.P99:+0.000;-0.000} | {r.Ttfb.P50:0.000} / {r.Ttfb.P99:0.000} | {r.Ttfb.P50 - d.Ttfb.P50:+0.000;-0.000} / {r.Ttfb.P99 - d.Ttfb.P99:+0.000;-0.000} | {OrDash(r.PeakRssMb)} | {OrDash(r.CpuSat)} / {OrDash(r.CpuStream)} | {r.Errors} |");
        }
        var sw = rows.FirstOrDefault(r => r.Name == "switchboard");
        var yarp = rows.FirstOrDefault(r => r.Name.StartsWith("yarp", StringComparison.Ordinal));
        var bare = rows.FirstOrDefault(r => r.Name == "bare forwarder");
        var pk = rows.FirstOrDefault(r => r.Name.StartsWith("portkey", StringComparison.Ordinal));
        if (sw is not null)
        {
            // Issue 4's targets, each judged on this run's side-by-side figures.
            sb.AppendLine();
            sb.AppendLine(CultureInfo.InvariantCulture, $"Verdicts judge the medians of {o.Rounds} round{(o.Rounds == 1 ? "" : "s")}.");
            sb.AppendLine();
            sb.AppendLine("| issue 4 target | measured | goal | result |");
            sb.AppendLine("|---|---|---|---|");
            void Judge(string name, double measured, string format, string goal, bool pass) =>
                sb.AppendLine(CultureInfo.InvariantCulture, $"| {name} | {measured.ToString(format, CultureInfo.InvariantCulture)} | {goal} | {(double.IsNaN(measured) ? "n/a" : pass ? "PASS" : "FAIL")} |");
            // Switchboard against a floor (a proxy that only forwards): throughput ratios judged, CPU and per-round ratios for information.
            void VsFloor(Row gateway, Row? floor, string label)
            {
                if (floor is null) return;
                var ratio = gateway.SatRps / floor.SatRps;
                Judge($"throughput vs {label} (non-stream)", ratio * 100, "0'%'", ">= 80%", ratio >= 0.8);
                var streamRatio = gateway.StreamRps / floor.StreamRps;
                Judge($"throughput vs {label} (stream)", streamRatio * 100, "0'%'", ">= 80%", streamRatio >= 0.8);
                sb.AppendLine(CultureInfo.InvariantCulture, $"| (server CPU per request vs {label}, non-stream / stream) | {gateway.CpuSat / floor.CpuSat:0.00}x / {gateway.CpuStream / floor.CpuStream:0.00}x | - | info |");
                string PerRound(Func<Round, double> rps) => string.Join(", ", gateway.Rounds.Zip(floor.Rounds, (g, f) => (rps(g) / rps(f) * 100).ToString("0'%'", CultureInfo.InvariantCulture)));
                sb.AppendLine(CultureInfo.InvariantCulture, $"| (throughput vs {label} in each round, non-stream / stream) | {PerRound(x => x.Sat.RequestsPerSecond)} / {PerRound(x => x.SatStream.RequestsPerSecond)} | - | info |");
            }
            VsFloor(sw, yarp, "bare YARP");
            VsFloor(sw, bare, "bare forwarder");
            if (pk is not null)
            {
                var ratio = sw.SatRps / pk.SatRps;
                Judge("throughput vs Portkey (non-stream)", ratio, "0.0'x'", ">= 10x", ratio >= 10);
            }
            var addedP50 = sw.OneP50 - d.OneP50;
            var addedP99 = sw.OneP99 - d.OneP99;
            var addedTtfb = sw.Ttfb.P50 - d.Ttfb.P50;
            Judge("added latency, 1 connection, p50 (ms)", addedP50, "+0.000;-0.000", "<= 0.15", addedP50 <= 0.15);
            foreach (var floor in new[] { yarp, bare })
            {
                if (floor is not null)
                {
                    // What the extra hop itself costs on this machine: a proxy that does nothing but forward.
                    sb.AppendLine(CultureInfo.InvariantCulture, $"| (added p50 at 1 connection of {floor.Name}: the floor of a .NET proxy here) | {floor.OneP50 - d.OneP50:+0.000;-0.000} | - | info |");
                }
            }
            Judge("added latency, 1 connection, p99 (ms)", addedP99, "+0.000;-0.000", "<= 1", addedP99 <= 1);
            Judge("added stream time to first byte, p50 (ms)", addedTtfb, "+0.000;-0.000", "<= 1", addedTtfb <= 1);
            Judge("peak RSS under load (MB)", sw.PeakRssMb, "0", "<= 150", sw.PeakRssMb <= 150);
        }

        // Every round's figures, so drift (one slow round) is visible rather than hidden in a median.
        sb.AppendLine();
        sb.AppendLine("| per round: target | round | req/s (non-stream) | req/s (stream) | 1 conn p50 / p99 ms | server CPU ms per 1k req (non-stream / stream) | peak RSS MB | errors |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|");
        foreach (var r in rows)
        {
            for (var i = 0; i < r.Rounds.Count; i++)
            {
                var x = r.Rounds[i];
                sb.AppendLine(CultureInfo.InvariantCulture,
                    $"| {r.Name} | {i + 1} | {x.Sat.RequestsPerSecond:0} | {x.SatStream.RequestsPerSecond:0} | {x.One.P50Ms:0.000} / {x.One.P99Ms:0.000} | {OrDash(x.CpuSat)} / {OrDash(x.CpuStream)} | {OrDash(x.PeakRssMb)} | {x.Errors} |");
            }
        }
        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"load average: {loadBefore} at start, {ScenarioSuite.LoadAverage()} at end (1, 5, 15 min; other work on the machine skews absolute figures, not the side-by-side ratios as much)");
        sb.AppendLine(CultureInfo.InvariantCulture, $"elapsed: {(int)elapsed.TotalMinutes} min {elapsed.Seconds} s");
        Console.WriteLine(sb.ToString());
        if (o.Output is not null) File.WriteAllText(o.Output, sb.ToString());
    }

    /// <summary>A target and its two calls: non-streaming and streaming (through a gateway, each to its own upstream path).</summary>
    private sealed record Target(string Name, ServerProcess? Server, Call Plain, Call Streamed);

    /// <summary>One round's saturation (non-stream, stream) and 1-connection figures for one target.</summary>
    private sealed record Round(WrkResult Sat, WrkResult SatStream, WrkResult One, double PeakRssMb, double CpuSat, double CpuStream)
    {
        public long Errors => Sat.Non2xx + Sat.Errors + SatStream.Non2xx + SatStream.Errors + One.Non2xx + One.Errors;
    }

    /// <summary>A target's rounds and its once-per-run probes; the figures the tables show are medians over the rounds.</summary>
    private sealed record Row(string Name, IReadOnlyList<Round> Rounds, Latency Fixed, Latency Ttfb)
    {
        public IReadOnlyList<double> Values(Func<Round, double> metric) => Rounds.Select(metric).ToArray();
        public double SatRps => Median(Values(x => x.Sat.RequestsPerSecond));
        public double StreamRps => Median(Values(x => x.SatStream.RequestsPerSecond));
        public double OneP50 => Median(Values(x => x.One.P50Ms));
        public double OneP99 => Median(Values(x => x.One.P99Ms));
        public double CpuSat => Median(Values(x => x.CpuSat));
        public double CpuStream => Median(Values(x => x.CpuStream));
        public double PeakRssMb => Rounds.Any(x => double.IsNaN(x.PeakRssMb)) ? double.NaN : Rounds.Max(x => x.PeakRssMb);
        public long Errors => Rounds.Sum(x => x.Errors) + Fixed.Failures + Ttfb.Failures;
    }

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
