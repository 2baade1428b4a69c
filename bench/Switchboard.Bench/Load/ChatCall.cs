using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Switchboard.Bench.Load;

/// <summary>What one client request saw.</summary>
internal sealed record CallResult(int Status, double TtftMs, double LatencyMs, bool Hedged, string? Provider, decimal? CostUsd, bool StreamError)
{
    public bool Ok => Status is >= 200 and < 300 && !StreamError;
}

/// <summary>One chat completion as an application would send it, timed at the client.</summary>
internal static class ChatCall
{
    public static string Body(string model, bool stream, int maxTokens = 64) =>
        $$"""{"model":"{{model}}","messages":[{"role":"user","content":"Write one short sentence about reliability."}],"max_tokens":{{maxTokens}}{{(stream ? ",\"stream\":true,\"stream_options\":{\"include_usage\":true}" : "")}}}""";

    public static async Task<CallResult> SendAsync(HttpClient http, string url, string body, IReadOnlyDictionary<string, string> headers, bool stream, CancellationToken ct = default)
    {
        using var req = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = new StringContent(body, Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
        };
        foreach (var (k, v) in headers) req.Headers.TryAddWithoutValidation(k, v);
        var start = Stopwatch.GetTimestamp();
        try
        {
            using var resp = await http.SendAsync(req, HttpCompletionOption.ResponseHeadersRead, ct);
            var hedged = resp.Headers.TryGetValues("x-switchboard-hedged", out var h) && h.First() == "true";
            var provider = resp.Headers.TryGetValues("x-switchboard-provider", out var p) ? p.First() : null;
            decimal? cost = resp.Headers.TryGetValues("x-switchboard-cost-usd", out var c)
                && decimal.TryParse(c.First(), System.Globalization.CultureInfo.InvariantCulture, out var d) ? d : null;
            if (!resp.IsSuccessStatusCode || !stream)
            {
                await resp.Content.ReadAsByteArrayAsync(ct);
                var ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                return new CallResult((int)resp.StatusCode, ms, ms, hedged, provider, cost, false);
            }
            await using var s = await resp.Content.ReadAsStreamAsync(ct);
            using var reader = new StreamReader(s);
            var ttft = double.NaN;
            var error = false;
            var done = false;
            while (await reader.ReadLineAsync(ct) is { } line)
            {
                if (!line.StartsWith("data: ", StringComparison.Ordinal)) continue;
                var data = line.AsSpan(6);
                if (data.SequenceEqual("[DONE]")) { done = true; break; }
                using var doc = JsonDocument.Parse(data.ToString());
                if (doc.RootElement.TryGetProperty("error", out _)) { error = true; break; }
                if (double.IsNaN(ttft) && HasContent(doc.RootElement)) ttft = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            }
            var total = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            return new CallResult((int)resp.StatusCode, double.IsNaN(ttft) ? total : ttft, total, hedged, provider, cost, error || !done);
        }
        catch (HttpRequestException)
        {
            var ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            return new CallResult(0, ms, ms, false, null, null, false);
        }
        catch (IOException)
        {
            var ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            return new CallResult(0, ms, ms, false, null, null, true);
        }
    }

    private static bool HasContent(JsonElement chunk)
    {
        if (!chunk.TryGetProperty("choices", out var choices)) return false;
        foreach (var c in choices.EnumerateArray())
        {
            if (c.TryGetProperty("delta", out var d)
                && ((d.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String && content.GetString()!.Length > 0)
                    || d.TryGetProperty("tool_calls", out _)))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Runs calls at a fixed rate (open loop) for a duration.</summary>
    public static async Task<List<(TimeSpan At, CallResult Result)>> AtRateAsync(HttpClient http, string url, string body,
        IReadOnlyDictionary<string, string> headers, bool stream, double ratePerSecond, TimeSpan duration)
    {
        var results = new List<(TimeSpan, CallResult)>();
        var tasks = new List<Task>();
        var clock = Stopwatch.StartNew();
        var interval = TimeSpan.FromSeconds(1 / ratePerSecond);
        for (var i = 0; clock.Elapsed < duration; i++)
        {
            var wait = interval * i - clock.Elapsed;
            if (wait > TimeSpan.Zero) await Task.Delay(wait);
            var at = clock.Elapsed;
            tasks.Add(Task.Run(async () =>
            {
                var r = await SendAsync(http, url, body, headers, stream);
                lock (results) results.Add((at, r));
            }));
        }
        await Task.WhenAll(tasks);
        return results;
    }

    public static double Percentile(IEnumerable<double> values, double q)
    {
        var sorted = values.Where(v => !double.IsNaN(v)).OrderBy(v => v).ToArray();
        if (sorted.Length == 0) return double.NaN;
        return sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];
    }
}
