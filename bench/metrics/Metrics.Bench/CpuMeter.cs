using System.Diagnostics;
using System.Globalization;
using Npgsql;
using StackExchange.Redis;

namespace Switchboard.Metrics.Bench;

/// <summary>
/// CPU time spent by each part of the ingestion path: the Metrics.Service process, its PostgreSQL backends (found by
/// application name, read from /proc) and the redis-server. On a machine shared with other work, wall-clock rates
/// move with the load; CPU per event does not, and says what the same path would sustain on idle cores.
/// </summary>
internal sealed class CpuMeter(Process service, string postgres, string redis, string applicationName)
{
    private static readonly double TicksPerSecond = ClockTicks();

    public async Task<CpuSample> SampleAsync()
    {
        service.Refresh();
        var serviceCpu = service.TotalProcessorTime.TotalSeconds;
        var pg = await PostgresCpuAsync(postgres, applicationName);
        await using var admin = await ConnectionMultiplexer.ConnectAsync(redis + ",allowAdmin=true");
        var info = (await admin.GetServer(admin.GetEndPoints()[0]).InfoAsync("cpu")).SelectMany(g => g).ToDictionary(p => p.Key, p => p.Value);
        var redisCpu = double.Parse(info["used_cpu_user"], CultureInfo.InvariantCulture) + double.Parse(info["used_cpu_sys"], CultureInfo.InvariantCulture);
        return new CpuSample(serviceCpu, pg, redisCpu);
    }

    /// <summary>user + system seconds of the PostgreSQL backends serving connections named <paramref name="applicationName"/>.</summary>
    internal static async Task<double> PostgresCpuAsync(string postgres, string applicationName)
    {
        await using var connection = new NpgsqlConnection(postgres);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT pid FROM pg_stat_activity WHERE application_name = @name", connection);
        command.Parameters.AddWithValue("name", applicationName);
        double total = 0;
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            total += ProcessCpu(reader.GetInt32(0));
        }
        return total;
    }

    /// <summary>user + system seconds of a process (0 when it is gone).</summary>
    private static double ProcessCpu(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // After the command: state is field 3, utime 14 and stime 15 (1-based in proc(5)).
            return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / TicksPerSecond;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private static double ClockTicks()
    {
        try
        {
            using var getconf = Process.Start(new ProcessStartInfo("getconf", "CLK_TCK") { RedirectStandardOutput = true, UseShellExecute = false })!;
            return double.Parse(getconf.StandardOutput.ReadToEnd().Trim(), CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or FormatException)
        {
            return 100;
        }
    }
}

internal readonly record struct CpuSample(double Service, double Postgres, double Redis)
{
    public static CpuSample operator -(CpuSample a, CpuSample b) => new(a.Service - b.Service, a.Postgres - b.Postgres, a.Redis - b.Redis);

    public double Total => Service + Postgres + Redis;

    /// <summary>One line: CPU ms per 1,000 events for each part, and the rate the sum allows on <paramref name="cores"/> idle cores.</summary>
    public string PerThousand(long events, int cores = 2)
    {
        if (events <= 0)
        {
            return "no events";
        }
        var k = events / 1000.0;
        return $"CPU per 1,000 events: service {Service * 1000 / k:F0} ms, postgres {Postgres * 1000 / k:F0} ms, redis {Redis * 1000 / k:F0} ms, " +
               $"total {Total * 1000 / k:F0} ms => {cores} idle cores would sustain ~{cores * events / Math.Max(Total, 1e-9):N0} events/s";
    }
}
