using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;

namespace Switchboard.Bench.Load;

/// <summary>Latency distribution summary in milliseconds.</summary>
internal sealed record Latency(double P50, double P99, int Count, int Failures)
{
    public static Latency Of(List<double> samples, int failures)
    {
        if (samples.Count == 0) return new Latency(double.NaN, double.NaN, 0, failures);
        samples.Sort();
        double At(double q) => samples[Math.Min(samples.Count - 1, (int)Math.Ceiling(q * samples.Count) - 1)];
        return new Latency(At(0.50), At(0.99), samples.Count, failures);
    }
}

/// <summary>Client-side measurements that wrk cannot make: open-loop fixed rate and stream time to first byte.</summary>
internal static class Probes
{
    /// <summary>Sends requests at a fixed rate (open loop) for a duration and measures each latency.</summary>
    public static async Task<Latency> FixedRateAsync(HttpClient http, string url, string body,
        IReadOnlyDictionary<string, string> headers, int ratePerSecond, TimeSpan duration)
    {
        var samples = new List<double>();
        var failures = 0;
        var tasks = new List<Task>();
        var interval = TimeSpan.FromSeconds(1.0 / ratePerSecond);
        var clock = Stopwatch.StartNew();
        for (var i = 0; clock.Elapsed < duration; i++)
        {
            var due = interval * i;
            var wait = due - clock.Elapsed;
            if (wait > TimeSpan.FromMilliseconds(1)) await Task.Delay(wait);
            tasks.Add(Task.Run(async () =>
            {
                var start = Stopwatch.GetTimestamp();
                try
                {
                    using var req = Build(url, body, headers);
                    using var resp = await http.SendAsync(req);
                    await resp.Content.ReadAsByteArrayAsync();
                    var ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                    lock (samples)
                    {
                        if (resp.IsSuccessStatusCode) samples.Add(ms); else failures++;
                    }
                }
                // A peer that stalls past the client timeout counts as a failure, it does not end the run.
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException) { lock (samples) failures++; }
            }));
        }
        await Task.WhenAll(tasks);
        return Latency.Of(samples, failures);
    }

    /// <summary>Sequential streaming requests: time from send to the first byte of the first SSE data frame.</summary>
    public static async Task<Latency> StreamFirstByteAsync(HttpClient http, string url, string body,
        IReadOnlyDictionary<string, string> headers, int count)
    {
        var samples = new List<double>(count);
        var failures = 0;
        var buffer = new byte[16 * 1024];
        for (var i = 0; i < count; i++)
        {
            var start = Stopwatch.GetTimestamp();
            try
            {
                using var req = Build(url, body, headers);
                using var resp = await http.SendAsync(req, HttpCompletionOption.ResponseHeadersRead);
                if (!resp.IsSuccessStatusCode) { failures++; continue; }
                await using var stream = await resp.Content.ReadAsStreamAsync();
                var first = double.NaN;
                int n;
                while ((n = await stream.ReadAsync(buffer)) > 0)
                {
                    if (double.IsNaN(first)) first = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                }
                if (double.IsNaN(first)) failures++; else samples.Add(first);
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException) { failures++; }
        }
        return Latency.Of(samples, failures);
    }

    private static HttpRequestMessage Build(string url, string body, IReadOnlyDictionary<string, string> headers)
    {
        var req = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = new StringContent(body, Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
        };
        foreach (var (k, v) in headers) req.Headers.TryAddWithoutValidation(k, v);
        return req;
    }
}
