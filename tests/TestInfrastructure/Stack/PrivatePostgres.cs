using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace Switchboard.Testing.Stack;

/// <summary>
/// A PostgreSQL cluster of our own (initdb into the scratch directory, its own port, trust authentication on
/// 127.0.0.1 only), so that a test can stop it for 30 s without disturbing anyone else's database. PostgreSQL refuses
/// to run as root: as root every command runs as the <c>postgres</c> OS user (runuser). Deleted on dispose.
/// </summary>
public sealed class PrivatePostgres : IAsyncDisposable
{
    public const string DataDirectoryName = "pg";

    private readonly string _dir;
    private readonly string _data;

    private PrivatePostgres(string dir, int port)
    {
        _dir = dir;
        _data = Path.Combine(dir, "data");
        Port = port;
    }

    public int Port { get; }
    public bool Running { get; private set; }

    public string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Timeout=5;Command Timeout=30";

    /// <summary>The postmaster's pid (its backends are its children), from postmaster.pid.</summary>
    public int? Pid
    {
        get
        {
            try
            {
                var first = File.ReadLines(Path.Combine(_data, "postmaster.pid")).FirstOrDefault();
                return int.TryParse(first, CultureInfo.InvariantCulture, out var pid) ? pid : null;
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

    /// <summary>RSS of the postmaster and its backends, MB.</summary>
    public double RssMb() => Pid is { } pid ? ProcessInfo.TreeRssMb(pid) : double.NaN;

    public static async Task<PrivatePostgres> CreateAsync(Scratch scratch, IEnumerable<string> databases, CancellationToken ct = default)
    {
        var dir = scratch.File(DataDirectoryName);
        Directory.CreateDirectory(dir);
        if (AsRoot)
        {
            await RunAsync("chown", ["postgres:postgres", dir], asPostgres: false, ct);
        }
        var pg = new PrivatePostgres(dir, Switchboard.Testing.FreePort.Next());
        await RunAsync(Bin("initdb"), ["-D", pg._data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync", "--no-instructions"], asPostgres: true, ct);
        await pg.StartAsync(ct);
        await using var conn = new NpgsqlConnection(pg.ConnectionString("postgres"));
        await conn.OpenAsync(ct);
        foreach (var db in databases)
        {
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE \"{db}\"", conn);
            await cmd.ExecuteNonQueryAsync(ct);
        }
        return pg;
    }

    /// <summary>Starts the cluster and waits until it accepts connections (pg_ctl -w, bounded).</summary>
    public async Task StartAsync(CancellationToken ct = default)
    {
        await RunAsync(Bin("pg_ctl"),
        [
            "-D", _data, "-l", Path.Combine(_dir, "server.log"), "-w", "-t", "60",
            "-o", $"-p {Port} -k {_dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200",
            "start",
        ], asPostgres: true, ct);
        Running = true;
    }

    /// <summary>Stops the cluster ("fast": clients are disconnected, as in a restart or a failover).</summary>
    public async Task StopAsync(CancellationToken ct = default)
    {
        Running = false;
        await RunAsync(Bin("pg_ctl"), ["-D", _data, "-m", "fast", "-w", "-t", "60", "stop"], asPostgres: true, ct);
    }

    public async ValueTask DisposeAsync()
    {
        if (File.Exists(Path.Combine(_data, "postmaster.pid")))
        {
            try
            {
                using var bounded = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                await RunAsync(Bin("pg_ctl"), ["-D", _data, "-m", "immediate", "-w", "stop"], asPostgres: true, bounded.Token);
            }
            catch (Exception ex) when (ex is InvalidOperationException or OperationCanceledException)
            {
            }
        }
        NpgsqlConnection.ClearAllPools();
    }

    /// <summary>Stops a cluster a dead run left behind (see <see cref="Scratch"/>).</summary>
    internal static void StopStale(string dir)
    {
        var data = Path.Combine(dir, "data");
        if (!File.Exists(Path.Combine(data, "postmaster.pid")))
        {
            return;
        }
        var (file, args) = Command(Bin("pg_ctl"), ["-D", data, "-m", "immediate", "-w", "stop"], asPostgres: true);
        using var p = Process.Start(new ProcessStartInfo(file, args) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true });
        p?.WaitForExit(30_000);
    }

    private static bool AsRoot => Environment.UserName == "root";

    private static string Bin(string tool)
    {
        const string root = "/usr/lib/postgresql";
        if (Directory.Exists(root))
        {
            var version = Directory.EnumerateDirectories(root)
                .Select(Path.GetFileName)
                .Where(v => int.TryParse(v, CultureInfo.InvariantCulture, out _) && File.Exists(Path.Combine(root, v!, "bin", tool)))
                .OrderByDescending(v => int.Parse(v!, CultureInfo.InvariantCulture))
                .FirstOrDefault();
            if (version is not null)
            {
                return Path.Combine(root, version, "bin", tool);
            }
        }
        return tool; // on PATH elsewhere
    }

    private static (string File, List<string> Args) Command(string file, IReadOnlyList<string> args, bool asPostgres) =>
        asPostgres && AsRoot ? ("runuser", ["-u", "postgres", "--", file, .. args]) : (file, [.. args]);

    private static async Task RunAsync(string file, IReadOnlyList<string> args, bool asPostgres, CancellationToken ct)
    {
        var (f, a) = Command(file, args, asPostgres);
        using var p = Process.Start(new ProcessStartInfo(f, a)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = "/",
        }) ?? throw new InvalidOperationException($"{file} did not start");
        var stdout = p.StandardOutput.ReadToEndAsync(ct);
        var stderr = p.StandardError.ReadToEndAsync(ct);
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(ct);
        bounded.CancelAfter(TimeSpan.FromSeconds(90));
        try
        {
            await p.WaitForExitAsync(bounded.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw;
        }
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(file)} {string.Join(' ', args)} failed ({p.ExitCode}): {await stdout}{await stderr}");
        }
    }
}
