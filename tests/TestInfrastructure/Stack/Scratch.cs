using System.Diagnostics;
using System.Globalization;

namespace Switchboard.Testing.Stack;

/// <summary>
/// A private temporary directory for one environment (PostgreSQL cluster, Redis append-only file, routing document,
/// key files), which also records the processes started for it. If a previous run died without disposing (the test
/// host was killed), <see cref="Create"/> first stops what that run left behind: only processes it recorded, matched by
/// pid and start time, and its PostgreSQL cluster.
/// </summary>
public sealed class Scratch : IDisposable
{
    private const string Prefix = "switchboard-faults-";
    private const string OwnerFile = "owner";
    private const string ChildrenFile = "children";
    private readonly Lock _gate = new();

    private Scratch(string path) => Path = path;

    public string Path { get; }

    public static Scratch Create()
    {
        SweepStale();
        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"{Prefix}{Environment.ProcessId}-{Guid.NewGuid():N}"[..(Prefix.Length + 16)]);
        Directory.CreateDirectory(path);
        System.IO.File.WriteAllText(System.IO.Path.Combine(path, OwnerFile), Identity(Environment.ProcessId));
        return new Scratch(path);
    }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>Remembers a started process so that a later run can stop it if this one dies first.</summary>
    public void Track(int pid)
    {
        lock (_gate)
        {
            System.IO.File.AppendAllText(File(ChildrenFile), Identity(pid) + "\n");
        }
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>"pid starttime": a pid alone may have been reused by an unrelated process since.</summary>
    private static string Identity(int pid) => $"{pid} {StartTime(pid)}";

    private static string? StartTime(int pid)
    {
        try
        {
            var stat = System.IO.File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[19];
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static bool Alive(string identity)
    {
        var parts = identity.Split(' ', 2);
        return parts.Length == 2 && int.TryParse(parts[0], CultureInfo.InvariantCulture, out var pid)
            && StartTime(pid) is { } started && started == parts[1];
    }

    private static void SweepStale()
    {
        foreach (var dir in Directory.EnumerateDirectories(System.IO.Path.GetTempPath(), Prefix + "*"))
        {
            try
            {
                var owner = System.IO.Path.Combine(dir, OwnerFile);
                if (System.IO.File.Exists(owner) && Alive(System.IO.File.ReadAllText(owner).Trim()))
                {
                    continue; // another run, still going
                }
                var children = System.IO.Path.Combine(dir, ChildrenFile);
                if (System.IO.File.Exists(children))
                {
                    foreach (var line in System.IO.File.ReadAllLines(children))
                    {
                        if (Alive(line))
                        {
                            using var p = Process.GetProcessById(int.Parse(line.Split(' ')[0], CultureInfo.InvariantCulture));
                            p.Kill(entireProcessTree: true);
                        }
                    }
                }
                PrivatePostgres.StopStale(System.IO.Path.Combine(dir, PrivatePostgres.DataDirectoryName));
                Directory.Delete(dir, recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException)
            {
                // Best effort: a directory we cannot clean is left for the next run.
            }
        }
    }
}
