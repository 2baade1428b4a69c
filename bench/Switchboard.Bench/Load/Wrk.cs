using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Switchboard.Bench.Load;

/// <summary>Result of one wrk run: throughput and latency percentiles in milliseconds.</summary>
internal sealed record WrkResult(double RequestsPerSecond, double P50Ms, double P99Ms, long Non2xx, long Errors, long Requests = 0);

/// <summary>One POST a load run repeats: where, what, and with which headers.</summary>
internal sealed record Call(string Url, string Body, IReadOnlyDictionary<string, string> Headers);

/// <summary>Runs wrk (Debian package) against loopback with a POST body and headers, bounded in time.</summary>
internal static partial class Wrk
{
    public static async Task<WrkResult> RunAsync(Call call, int threads, int connections, TimeSpan duration)
    {
        var (url, body, headers) = call;
        var script = Path.Combine(Path.GetTempPath(), $"sb-wrk-{Guid.NewGuid():N}.lua");
        var lua = new StringBuilder();
        lua.AppendLine("wrk.method = \"POST\"");
        lua.AppendLine($"wrk.body = [==[{body}]==]");
        lua.AppendLine("wrk.headers[\"Content-Type\"] = \"application/json\"");
        foreach (var (k, v) in headers)
        {
            lua.AppendLine($"wrk.headers[\"{k}\"] = \"{v}\"");
        }
        await File.WriteAllTextAsync(script, lua.ToString());
        try
        {
            var psi = new ProcessStartInfo("wrk",
                ["-t", threads.ToString(CultureInfo.InvariantCulture), "-c", connections.ToString(CultureInfo.InvariantCulture),
                 "-d", $"{(int)duration.TotalSeconds}s", "--latency", "--timeout", "10s", "-s", script, url])
            { RedirectStandardOutput = true, RedirectStandardError = true };
            using var p = Process.Start(psi)!;
            var output = await p.StandardOutput.ReadToEndAsync();
            await p.WaitForExitAsync();
            return Parse(output);
        }
        finally
        {
            File.Delete(script);
        }
    }

    internal static WrkResult Parse(string output)
    {
        var rps = double.Parse(Rps().Match(output).Groups[1].Value, CultureInfo.InvariantCulture);
        double Pct(string p)
        {
            var m = Regex.Match(output, $@"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", RegexOptions.Multiline);
            if (!m.Success) return double.NaN;
            var v = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            return m.Groups[2].Value switch { "us" => v / 1000, "ms" => v, _ => v * 1000 };
        }
        var non2xx = Non2xx().Match(output) is { Success: true } n ? long.Parse(n.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        var errors = SocketErrors().Match(output) is { Success: true } e
            ? e.Groups.Values.Skip(1).Sum(g => long.Parse(g.Value, CultureInfo.InvariantCulture)) : 0;
        var requests = RequestCount().Match(output) is { Success: true } r ? long.Parse(r.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        return new WrkResult(rps, Pct("50"), Pct("99"), non2xx, errors, requests);
    }

    [GeneratedRegex(@"Requests/sec:\s+([\d.]+)")]
    private static partial Regex Rps();
    [GeneratedRegex(@"(\d+) requests in ")]
    private static partial Regex RequestCount();
    [GeneratedRegex(@"Non-2xx or 3xx responses:\s+(\d+)")]
    private static partial Regex Non2xx();
    [GeneratedRegex(@"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")]
    private static partial Regex SocketErrors();
}
