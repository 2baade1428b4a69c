using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using StackExchange.Redis;
using Switchboard.Bench.Hosting;
using Switchboard.Bench.Load;
using Switchboard.Contracts.Outcomes;
using Switchboard.Contracts.Redis;

namespace Switchboard.Bench.Suites;

/// <summary>
/// Issue 5's seed scenarios against Provider.Simulator, each side by side: a client calling the primary directly
/// vs the same client through Switchboard (primary + backup route). One command, one table.
/// </summary>
internal static class ScenarioSuite
{
    private const string Model = "gpt-4o-2024-08-06";
    private const string Key = "sb-scenario-key-0987654321";

    public static async Task<int> RunAsync(BenchOptions o)
    {
        await using var redis = await RedisProcess.StartAsync();
        var simPort = ServerProcess.FreePort();
        await using var sim = await ServerProcess.StartAsync("simulator", "dotnet",
            [o.Dll("Provider.Simulator"), "--urls", $"http://127.0.0.1:{simPort}"], simPort, "/health",
            workingDirectory: Path.Combine(o.RepoRoot, "Provider.Simulator"));
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 512, UseProxy = false }) { Timeout = TimeSpan.FromSeconds(60) };
        var rows = new List<string[]>();
        var seconds = o.Duration;
        var rate = Math.Max(5, o.Rate / 25.0); // default 20 req/s: a few hundred requests per scenario
        var loadBefore = LoadAverage();

        // 1 + 5: primary's TTFT tail explodes (p50 300 ms, p99 10 s, ~10% of requests over 2 s); backup healthy.
        {
            await Profile(http, sim, "primary", new { type = "openai", ttftMs = new { p50 = 300, p99 = 10000 }, tokensPerSecond = 100, outputTokens = 20, failureRate = 0.0, seed = 1 });
            await Profile(http, sim, "backup", new { type = "openai", ttftMs = new { p50 = 250, p99 = 600 }, tokensPerSecond = 100, outputTokens = 20, failureRate = 0.0, seed = 2 });
            var direct = await ChatCall.AtRateAsync(http, $"{sim.BaseUrl}/primary/v1/chat/completions", ChatCall.Body(Model, true), SimKey, true, rate, seconds);
            await using var gw = await Gateway(o, redis, sim, "primary", firstTokenMs: 2000);
            var before = await StreamLength(redis);
            var through = await ChatCall.AtRateAsync(http, gw.Url, ChatCall.Body("main", true), GwKey, true, rate, seconds);
            var p95 = ChatCall.Percentile(through.Select(r => r.Result.LatencyMs), .95);
            var ttft99 = ChatCall.Percentile(through.Select(r => r.Result.TtftMs), .99);
            rows.Add(Row("1. TTFT tail p99 10 s, hedge at 2 s (stream)", direct, through,
                $"through: p95 {p95:0} ms end to end (target < 3000), TTFT p99 {ttft99:0} ms (target < 2600), errors {Errors(through)}",
                p95 < 3000 && ttft99 < 2600 && Errors(through) == 0));
            var outcomes = await Outcomes(redis, before);
            var hedgeCost = outcomes.Where(e => e.Kind == AttemptKind.Hedge && !e.Winner || e.Outcome == AttemptOutcome.Cancelled).Sum(e => e.CostUsd);
            var hedgeTokens = outcomes.Where(e => e.Outcome == AttemptOutcome.Cancelled).Sum(e => (long)e.InputTokens + e.OutputTokens);
            var totalCost = outcomes.Sum(e => e.CostUsd);
            var totalTokens = outcomes.Sum(e => (long)e.InputTokens + e.OutputTokens);
            rows.Add(["5. hedging overhead (from scenario 1's outcome events)", "-", "-",
                $"extra tokens {Pct(hedgeTokens, totalTokens)}, extra cost {Pct(hedgeCost, totalCost)} ({outcomes.Count(e => e.Kind == AttemptKind.Hedge)} hedges, {outcomes.Count(e => e.Outcome == AttemptOutcome.Cancelled)} cancelled upstream)",
                "measured (no target)"]);
        }

        // 2: primary answers 503 to 30% of requests.
        {
            await Profile(http, sim, "primary", new { type = "openai", ttftMs = new { p50 = 150, p99 = 600 }, tokensPerSecond = 0, outputTokens = 20, failureRate = 0.3, failureStatus = 503, seed = 3 });
            var direct = await ChatCall.AtRateAsync(http, $"{sim.BaseUrl}/primary/v1/chat/completions", ChatCall.Body(Model, false), SimKey, false, rate, seconds);
            await using var gw = await Gateway(o, redis, sim, "primary", firstTokenMs: 2000);
            var through = await ChatCall.AtRateAsync(http, gw.Url, ChatCall.Body("main", false), GwKey, false, rate, seconds);
            rows.Add(Row("2. primary 503 on 30%", direct, through, $"client errors through Switchboard: {Errors(through)} (target 0)", Errors(through) == 0));
        }

        // 3: primary refuses connections.
        {
            await Profile(http, sim, "backup", new { type = "openai", ttftMs = new { p50 = 0, p99 = 0 }, tokensPerSecond = 0, outputTokens = 20, failureRate = 0.0 });
            var direct = await ChatCall.AtRateAsync(http, $"{sim.BaseUrl}/backup/v1/chat/completions", ChatCall.Body(Model, false), SimKey, false, rate, seconds);
            // Baseline: the same gateway with a route to the backup only, so gateway overhead is not counted as "added".
            double baseline;
            await using (var only = await Gateway(o, redis, sim, "backup", firstTokenMs: 2000, backupOnly: true))
            {
                var b = await ChatCall.AtRateAsync(http, only.Url, ChatCall.Body("main", false), GwKey, false, rate, seconds);
                baseline = ChatCall.Percentile(b.Select(r => r.Result.LatencyMs), 0.5);
            }
            var closed = $"http://127.0.0.1:{ServerProcess.FreePort()}";
            await using var gw = await Gateway(o, redis, sim, "primary", firstTokenMs: 2000, primaryBaseUrl: $"{closed}/v1");
            var through = await ChatCall.AtRateAsync(http, gw.Url, ChatCall.Body("main", false), GwKey, false, rate, seconds);
            var late = through.Where(r => r.At > seconds / 2).Select(r => r.Result.LatencyMs).ToList();
            var added = ChatCall.Percentile(late, 0.5) - baseline;
            rows.Add(Row("3. primary refuses connections (direct = backup)", direct, through,
                $"errors {Errors(through)} (target 0); p50 once the circuit is open {ChatCall.Percentile(late, 0.5):0.00} ms vs {baseline:0.00} ms through a backup-only route: added {added:0.00} ms (target < 1 ms)",
                Errors(through) == 0 && added < 1));
        }

        // 4: primary rate-limited (429 + Retry-After past 300 requests/min, load ~600/min).
        {
            var limit = Math.Max(5, (int)(rate * seconds.TotalSeconds / 2)); // reached halfway through each run
            await Profile(http, sim, "primary", new { type = "openai", ttftMs = new { p50 = 100, p99 = 300 }, tokensPerSecond = 0, outputTokens = 20, failureRate = 0.0, requestsPerMinute = limit });
            await Profile(http, sim, "backup", new { type = "openai", ttftMs = new { p50 = 100, p99 = 300 }, tokensPerSecond = 0, outputTokens = 20, failureRate = 0.0, requestsPerMinute = 0 });
            var direct = await ChatCall.AtRateAsync(http, $"{sim.BaseUrl}/primary/v1/chat/completions", ChatCall.Body(Model, false), SimKey, false, rate, seconds);
            // A fresh simulated provider for the run through Switchboard: the direct run used up the first one's
            // window (one minute from its first request), so the limit is reached halfway through this run too.
            await Profile(http, sim, "primary-limited", new { type = "openai", ttftMs = new { p50 = 100, p99 = 300 }, tokensPerSecond = 0, outputTokens = 20, failureRate = 0.0, requestsPerMinute = limit });
            await using var gw = await Gateway(o, redis, sim, "primary", firstTokenMs: 2000, primaryBaseUrl: $"{sim.BaseUrl}/primary-limited/v1");
            var before = await StreamLength(redis);
            var through = await ChatCall.AtRateAsync(http, gw.Url, ChatCall.Body("main", false), GwKey, false, rate, seconds);
            var outcomes = await Outcomes(redis, before);
            // The limit is known when the first 429, or the first answer saying no requests remain, came back.
            var known = outcomes.Where(e => e.Provider == "primary" && (e.Status == 429 || e.RequestsLeft == 0))
                .Select(e => e.StartedAt.AddMilliseconds(e.LatencyMs)).DefaultIfEmpty(DateTimeOffset.MaxValue).Min();
            var afterKnown = outcomes.Where(e => e.StartedAt > known).ToList();
            var requestsAfter = afterKnown.Select(e => e.RequestId).Distinct().Count();
            var primary429After = afterKnown.Count(e => e.Provider == "primary" && e.Status == 429);
            var primary429 = outcomes.Count(e => e.Provider == "primary" && e.Status == 429);
            var share = requestsAfter == 0 ? 0 : (double)primary429After / requestsAfter;
            rows.Add(Row($"4. primary rate-limited at {limit}/min (429 + Retry-After)", direct, through,
                $"errors {Errors(through)} (target 0); after the limit was known ({requestsAfter} requests): {Pct(primary429After, requestsAfter)} still hit the primary's 429 (target <= 5%); 429s seen in all: {primary429}",
                Errors(through) == 0 && requestsAfter > 0 && share <= 0.05));
        }

        // 6: two gateway replicas, one Redis, one key with a $1 budget, 200 concurrent requests.
        {
            await Profile(http, sim, "primary", new { type = "openai", ttftMs = new { p50 = 50, p99 = 200 }, tokensPerSecond = 0, outputTokens = 20, failureRate = 0.0, requestsPerMinute = 0 });
            await using var a = await Gateway(o, redis, sim, "primary", firstTokenMs: 2000, budgetUsd: 1m);
            await using var b = await Gateway(o, redis, sim, "primary", firstTokenMs: 2000, budgetUsd: 1m);
            var before = await StreamLength(redis);
            var calls = Enumerable.Range(0, 200).Select(i => ChatCall.SendAsync(http, i % 2 == 0 ? a.Url : b.Url, ChatCall.Body("main", false), GwKey, false));
            var results = await Task.WhenAll(calls);
            await Task.Delay(2000); // outcome events are batched
            var spent = (await Outcomes(redis, before)).Where(e => e.KeyName == "scenario").Sum(e => e.CostUsd);
            await using var mux = await ConnectionMultiplexer.ConnectAsync(redis.Endpoint);
            var ledger = (long)await mux.GetDatabase().HashGetAsync(RedisKeys.KeyBudget("scenario"), RedisKeys.BudgetSpentField) / 1e9m;
            var others = results.Count(r => !r.Ok && r.Status != 429);
            rows.Add(["6. 2 replicas, $1 budget, 200 concurrent", "-",
                $"{results.Count(r => r.Ok)} ok, {results.Count(r => r.Status == 429)} refused (429), {others} other errors",
                $"settled spend ${spent:0.0000} from outcome events, ${ledger:0.0000} in the shared ledger (target <= $1)",
                Verdict(spent <= 1m && ledger <= 1m && others == 0 && results.Any(r => r.Ok))]);
        }

        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"Scenario benchmark: {rate:0} req/s for {seconds.TotalSeconds:0} s per side, Provider.Simulator upstreams, {Environment.ProcessorCount} cores; load average {loadBefore} at start, {LoadAverage()} at end.");
        sb.AppendLine();
        sb.AppendLine("| scenario | direct to primary | through Switchboard | result | pass |");
        sb.AppendLine("|---|---|---|---|---|");
        foreach (var r in rows) sb.AppendLine("| " + string.Join(" | ", r) + " |");
        Console.WriteLine(sb.ToString());
        if (o.Output is not null) await File.WriteAllTextAsync(o.Output, sb.ToString());
        return rows.Any(r => r[4] == "FAIL") ? 1 : 0;
    }

    private static readonly Dictionary<string, string> SimKey = new() { ["Authorization"] = "Bearer sim-key" };
    private static readonly Dictionary<string, string> GwKey = new() { ["Authorization"] = $"Bearer {Key}" };

    private static string[] Row(string name, List<(TimeSpan At, CallResult Result)> direct, List<(TimeSpan At, CallResult Result)> through, string note, bool pass) =>
        [name, Summary(direct), Summary(through), note, Verdict(pass)];

    private static string Verdict(bool pass) => pass ? "PASS" : "FAIL";

    private static int Errors(List<(TimeSpan At, CallResult Result)> calls) => calls.Count(c => !c.Result.Ok);

    /// <summary>The 1, 5 and 15 minute load averages, for the tables of every suite.</summary>
    internal static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "n/a";
        }
    }

    private static string Summary(List<(TimeSpan At, CallResult Result)> calls)
    {
        var r = calls.Select(c => c.Result).ToList();
        var errors = r.Count(c => !c.Ok);
        return string.Create(CultureInfo.InvariantCulture,
            $"{r.Count} req, {errors} errors; TTFT p50/p95/p99 {ChatCall.Percentile(r.Select(c => c.TtftMs), .5):0}/{ChatCall.Percentile(r.Select(c => c.TtftMs), .95):0}/{ChatCall.Percentile(r.Select(c => c.TtftMs), .99):0} ms; total p95 {ChatCall.Percentile(r.Select(c => c.LatencyMs), .95):0} ms; hedged {r.Count(c => c.Hedged)}");
    }

    private static string Pct(decimal part, decimal whole) => whole == 0 ? "n/a" : (part / whole).ToString("P1", CultureInfo.InvariantCulture);
    private static string Pct(long part, long whole) => whole == 0 ? "n/a" : ((double)part / whole).ToString("P1", CultureInfo.InvariantCulture);

    private static async Task Profile(HttpClient http, ServerProcess sim, string name, object profile)
    {
        using var r = await http.PutAsJsonAsync($"{sim.BaseUrl}/_sim/providers/{name}", profile);
        r.EnsureSuccessStatusCode();
        using var reset = await http.DeleteAsync($"{sim.BaseUrl}/_sim/providers/{name}/stats");
    }

    private sealed class GatewayProcess(ServerProcess server, string config) : IAsyncDisposable
    {
        public string Url => $"{server.BaseUrl}/v1/chat/completions";

        public async ValueTask DisposeAsync()
        {
            await server.DisposeAsync();
            File.Delete(config);
        }
    }

    private static async Task<GatewayProcess> Gateway(BenchOptions o, RedisProcess redis, ServerProcess sim, string primary,
        int firstTokenMs, string? primaryBaseUrl = null, decimal? budgetUsd = null, bool backupOnly = false)
    {
        var config = Path.Combine(Path.GetTempPath(), $"sb-scn-{Guid.NewGuid():N}.json");
        var budget = budgetUsd is { } b ? $", \"budgetUsd\": {b.ToString(CultureInfo.InvariantCulture)}" : "";
        await File.WriteAllTextAsync(config, $$"""
            {
              "providers": {
                "primary": { "type": "openai", "baseUrl": "{{primaryBaseUrl ?? $"{sim.BaseUrl}/{primary}/v1"}}", "apiKey": "sim-key" },
                "backup":  { "type": "openai", "baseUrl": "{{sim.BaseUrl}}/backup/v1", "apiKey": "sim-key" }
              },
              "routes": {
                "main": {
                  "strategy": "priority",
                  "targets": [ {{(backupOnly ? "" : $$"""{ "provider": "primary", "model": "{{Model}}" }, """)}}{ "provider": "backup", "model": "{{Model}}" } ],
                  "firstTokenTimeoutMs": {{firstTokenMs}}, "attemptTimeoutMs": 30000, "maxAttempts": 3
                }
              },
              "prices": { "{{Model}}": { "inputPerMTok": 500, "outputPerMTok": 1500 } },
              "keys": [ { "name": "scenario", "key": "{{Key}}"{{budget}} } ]
            }
            """);
        var port = ServerProcess.FreePort();
        var server = await ServerProcess.StartAsync("switchboard", "dotnet",
            [o.Dll("Gateway.Api"), "--urls", $"http://127.0.0.1:{port}", "--config", config], port, "/health",
            env: new Dictionary<string, string> { ["ConnectionStrings__redis"] = redis.Endpoint },
            workingDirectory: Path.Combine(o.RepoRoot, "Gateway.Api"));
        return new GatewayProcess(server, config);
    }

    private static async Task<long> StreamLength(RedisProcess redis)
    {
        await using var mux = await ConnectionMultiplexer.ConnectAsync(redis.Endpoint);
        return await mux.GetDatabase().StreamLengthAsync(RedisKeys.OutcomesStream);
    }

    /// <summary>Outcome events the gateways wrote after the stream had <paramref name="skip"/> entries.</summary>
    private static async Task<List<OutcomeEvent>> Outcomes(RedisProcess redis, long skip)
    {
        await Task.Delay(1500); // the gateway batches XADDs
        await using var mux = await ConnectionMultiplexer.ConnectAsync(redis.Endpoint);
        var entries = await mux.GetDatabase().StreamRangeAsync(RedisKeys.OutcomesStream);
        return entries.Skip((int)skip)
            .Select(e => JsonSerializer.Deserialize(e[RedisKeys.OutcomeField].ToString(), ContractJson.Default.OutcomeEvent)!)
            .ToList();
    }
}
