using System.Globalization;

namespace Switchboard.Testing.Stack;

/// <summary>What /proc says about a process: resident memory, liveness, command line.</summary>
public static class ProcessInfo
{
    /// <summary>Resident set size in MB, or NaN when the process is gone.</summary>
    public static double RssMb(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return double.NaN;
    }

    /// <summary>RSS of a process and all its children (PostgreSQL: the postmaster and its backends).</summary>
    public static double TreeRssMb(int pid)
    {
        var total = RssMb(pid);
        if (double.IsNaN(total))
        {
            return total;
        }
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var child) || child == pid)
            {
                continue;
            }
            if (ParentOf(child) == pid)
            {
                var rss = RssMb(child);
                if (!double.IsNaN(rss))
                {
                    total += rss;
                }
            }
        }
        return total;
    }

    public static int? ParentOf(int pid)
    {
        try
        {
            // /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces, so split after the last ')'.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return int.Parse(fields[1], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The command line of a live process ('\0' turned into spaces), or null.</summary>
    public static string? CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
