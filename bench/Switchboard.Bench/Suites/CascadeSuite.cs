using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Switchboard.Bench.Hosting;

namespace Switchboard.Bench.Suites;

/// <summary>
/// Issue 10's benchmark: a labelled classification set through three policies side by side, all through the
/// gateway against Provider.Simulator's labelled mode: always the cheap tier, always the expensive tier, and a
/// logprobs cascade. Accuracy against the known labels, cost from the gateway's own x-switchboard-cost-usd (which
/// for the cascade includes every tier it asked), client latency percentiles, share escalated (x-switchboard-tier).
/// </summary>
internal static class CascadeSuite
{
    private const string CheapModel = "gpt-4o-mini-2024-07-18";
    private const string ExpensiveModel = "gpt-4o-2024-08-06";
    private static readonly string[] Labels = ["positive", "negative", "neutral", "mixed"];

    private sealed record Item(string Id, string Correct, string Prompt);

    private sealed record Result(string Answer, bool Correct, decimal Cost, double LatencyMs, int Tier, bool Ok);

    public static async Task<int> RunAsync(BenchOptions o)
    {
        var args = Environment.GetCommandLineArgs();
        string? Arg(string name)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        }
        var count = int.Parse(Arg("--items") ?? "500", CultureInfo.InvariantCulture);
        var concurrency = int.Parse(Arg("--concurrency") ?? "16", CultureInfo.InvariantCulture);
        var minConfidence = double.Parse(Arg("--min-confidence") ?? "0.75", CultureInfo.InvariantCulture);
        var cheapAccuracy = double.Parse(Arg("--cheap-accuracy") ?? "0.85", CultureInfo.InvariantCulture);
        var expensiveAccuracy = double.Parse(Arg("--expensive-accuracy") ?? "0.97", CultureInfo.InvariantCulture);

        var simPort = ServerProcess.FreePort();
        await using var sim = await ServerProcess.StartAsync("simulator", "dotnet",
            [o.Dll("Provider.Simulator"), "--urls", $"http://127.0.0.1:{simPort}"], simPort, "/health",
            workingDirectory: Path.Combine(o.RepoRoot, "Provider.Simulator"));
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256, UseProxy = false }) { Timeout = TimeSpan.FromSeconds(60) };
        // Different seeds: the two models' mistakes are independent (a shared seed would make them nested).
        await Profile(http, sim, "cheap", new { type = "openai", ttftMs = new { p50 = 150, p99 = 500 }, tokensPerSecond = 150, accuracy = cheapAccuracy, seed = 101 });
        await Profile(http, sim, "frontier", new { type = "openai", ttftMs = new { p50 = 450, p99 = 1500 }, tokensPerSecond = 60, accuracy = expensiveAccuracy, seed = 202 });

        var config = Path.Combine(Path.GetTempPath(), $"sb-cascade-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(config, Document(sim.BaseUrl, minConfidence));
        var port = ServerProcess.FreePort();
        await using var gateway = await ServerProcess.StartAsync("switchboard", "dotnet",
            [o.Dll("Gateway.Api"), "--urls", $"http://127.0.0.1:{port}", "--config", config], port, "/health",
            workingDirectory: Path.Combine(o.RepoRoot, "Gateway.Api"));
        try
        {
            var items = Items(count);
            var url = $"{gateway.BaseUrl}/v1/chat/completions";
            // Warm-up outside the measurement (JIT, connection pools).
            await RunAsync(http, url, "cheap", items.Take(20).ToList(), concurrency);

            var policies = new (string Name, string Route)[] { ("always cheap", "cheap"), ("always expensive", "expensive"), ("cascade (logprobs)", "cascade") };
            var results = new Dictionary<string, List<Result>>();
            foreach (var (name, route) in policies)
            {
                results[name] = await RunAsync(http, url, route, items, concurrency);
            }

            var load = File.Exists("/proc/loadavg") ? (await File.ReadAllTextAsync("/proc/loadavg")).Trim() : "n/a";
            var table = new StringBuilder();
            table.AppendLine(CultureInfo.InvariantCulture, $"Cascade benchmark: {count} labelled items ({Labels.Length} labels), cheap accuracy {cheapAccuracy:P0} ({CheapModel}), expensive {expensiveAccuracy:P0} ({ExpensiveModel}), minConfidence {minConfidence}, {concurrency} concurrent; load average {load}");
            table.AppendLine();
            table.AppendLine("| policy | accuracy | cost USD | cost per 1k items | p50 ms | p95 ms | escalated | errors |");
            table.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
            foreach (var (name, _) in policies)
            {
                var r = results[name];
                var ok = r.Where(x => x.Ok).ToList();
                var latencies = ok.Select(x => x.LatencyMs).Order().ToArray();
                table.AppendLine(CultureInfo.InvariantCulture,
                    $"| {name} | {Accuracy(r):P1} | {r.Sum(x => x.Cost):0.000000} | {r.Sum(x => x.Cost) * 1000 / Math.Max(1, r.Count):0.0000} | {Percentile(latencies, 0.50):0} | {Percentile(latencies, 0.95):0} | {ok.Count(x => x.Tier > 0) / (double)Math.Max(1, ok.Count):P1} | {r.Count - ok.Count} |");
            }
            var expensive = results["always expensive"];
            var cascade = results["cascade (logprobs)"];
            var saved = 1 - (double)(cascade.Sum(x => x.Cost) / Math.Max(1e-12m, expensive.Sum(x => x.Cost)));
            var gap = (Accuracy(expensive) - Accuracy(cascade)) * 100;
            var savedPass = saved >= 0.60;
            var accuracyPass = gap <= 1.0;
            table.AppendLine();
            table.AppendLine(CultureInfo.InvariantCulture, $"- cost saved against always-expensive: {saved:P1} (target >= 60%): {(savedPass ? "PASS" : "FAIL")}");
            table.AppendLine(CultureInfo.InvariantCulture, $"- accuracy: cascade {Accuracy(cascade):P1} vs always-expensive {Accuracy(expensive):P1}, {(gap > 0 ? gap : 0):0.0} points below (target <= 1 point): {(accuracyPass ? "PASS" : "FAIL")}");
            table.AppendLine("- latency: the cascade's escalated requests pay the cheap tier's answer and its scoring before the expensive tier starts.");
            Console.WriteLine(table.ToString());
            if (o.Output is { } output)
            {
                await File.WriteAllTextAsync(output, table.ToString());
            }
            return savedPass && accuracyPass ? 0 : 1;
        }
        finally
        {
            File.Delete(config);
        }
    }

    private static double Accuracy(List<Result> results) => results.Count(r => r.Correct) / (double)Math.Max(1, results.Count);

    private static double Percentile(double[] sorted, double q) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];

    private static List<Item> Items(int count)
    {
        var random = new Random(20261126);
        var items = new List<Item>(count);
        for (var i = 0; i < count; i++)
        {
            var correct = Labels[random.Next(Labels.Length)];
            var id = $"review-{i:D4}";
            var prompt = $"Classify the sentiment of this product review as one of: {string.Join(", ", Labels)}. Reply with the label only.\n\n"
                + $"Review {id}: the delivery took a while, the packaging was fine, and the product does what the description says. "
                + $"[[sim-label item={id} labels={string.Join(',', Labels)} answer={correct}]]";
            items.Add(new Item(id, correct, prompt));
        }
        return items;
    }

    private static async Task<List<Result>> RunAsync(HttpClient http, string url, string route, List<Item> items, int concurrency)
    {
        var results = new Result[items.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, items.Count), new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (i, ct) =>
        {
            var item = items[i];
            var started = Stopwatch.GetTimestamp();
            try
            {
                using var response = await http.PostAsJsonAsync(url, new
                {
                    model = route,
                    messages = new[] { new { role = "user", content = item.Prompt } },
                    max_tokens = 5,
                }, ct);
                var body = await response.Content.ReadAsStringAsync(ct);
                var latency = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                if (!response.IsSuccessStatusCode)
                {
                    results[i] = new Result("", false, 0, latency, 0, false);
                    return;
                }
                using var document = JsonDocument.Parse(body);
                var answer = document.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString() ?? "";
                var cost = response.Headers.TryGetValues("x-switchboard-cost-usd", out var c) ? decimal.Parse(c.First(), CultureInfo.InvariantCulture) : 0m;
                var tier = response.Headers.TryGetValues("x-switchboard-tier", out var t) ? int.Parse(t.First(), CultureInfo.InvariantCulture) : 0;
                results[i] = new Result(answer, string.Equals(answer.Trim(), item.Correct, StringComparison.OrdinalIgnoreCase), cost, latency, tier, true);
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException)
            {
                results[i] = new Result("", false, 0, Stopwatch.GetElapsedTime(started).TotalMilliseconds, 0, false);
            }
        });
        return [.. results];
    }

    private static string Document(string simUrl, double minConfidence) => $$"""
        {
          "providers": {
            "cheap":    { "type": "openai", "baseUrl": "{{simUrl}}/cheap/v1", "apiKey": "sim-key" },
            "frontier": { "type": "openai", "baseUrl": "{{simUrl}}/frontier/v1", "apiKey": "sim-key" }
          },
          "routes": {
            "cheap":     { "targets": [ { "provider": "cheap", "model": "{{CheapModel}}" } ], "maxAttempts": 2 },
            "expensive": { "targets": [ { "provider": "frontier", "model": "{{ExpensiveModel}}" } ], "maxAttempts": 2 },
            "cascade": {
              "strategy": "cascade",
              "targets": [ { "provider": "cheap", "model": "{{CheapModel}}" }, { "provider": "frontier", "model": "{{ExpensiveModel}}" } ],
              "scorer": "logprobs", "minConfidence": {{minConfidence.ToString(CultureInfo.InvariantCulture)}},
              "allowedAnswers": [ {{string.Join(", ", Labels.Select(l => $"\"{l}\""))}} ],
              "maxAttempts": 2
            }
          },
          "prices": {
            "{{CheapModel}}": { "inputPerMTok": 0.15, "outputPerMTok": 0.6 },
            "{{ExpensiveModel}}": { "inputPerMTok": 2.5, "outputPerMTok": 10 }
          }
        }
        """;

    private static async Task Profile(HttpClient http, ServerProcess sim, string name, object profile)
    {
        using var r = await http.PutAsJsonAsync($"{sim.BaseUrl}/_sim/providers/{name}", profile);
        r.EnsureSuccessStatusCode();
    }
}
