using System.Diagnostics;

namespace Switchboard.Testing.Stack;

/// <summary>
/// A server process of the environment: started with its environment, waited for until it answers, killed with
/// SIGKILL (a crash, not a shutdown) and restarted on the same port. Keeps the tail of its output for failure messages,
/// and all of it (every run, stdout and stderr) in <see cref="LogFile"/> for tests that scan what a process wrote.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private readonly string _fileName;
    private readonly IReadOnlyList<string> _args;
    private readonly IReadOnlyDictionary<string, string> _env;
    private readonly Func<ChildProcess, CancellationToken, Task<bool>> _ready;
    private readonly Scratch _scratch;
    private readonly List<string> _log = [];
    private readonly List<string> _crashes = [];
    private Process? _process;
    private Process? _killing;

    public ChildProcess(string name, int port, string fileName, IReadOnlyList<string> args, IReadOnlyDictionary<string, string> env,
        Func<ChildProcess, CancellationToken, Task<bool>> ready, Scratch scratch)
    {
        Name = name;
        Port = port;
        _fileName = fileName;
        _args = args;
        _env = env;
        _ready = ready;
        _scratch = scratch;
    }

    public string Name { get; }
    public int Port { get; }

    /// <summary>Everything the process wrote to stdout and stderr, over all its runs.</summary>
    public string LogFile => _scratch.File(Name + ".log");
    public Uri BaseAddress => new($"http://127.0.0.1:{Port}");
    public bool Running => _process is { HasExited: false };
    public int? Pid => _process is { HasExited: false } p ? p.Id : null;

    /// <summary>Exits nobody asked for (a crash under a fault is a bug), each with its exit code and output tail.</summary>
    public IReadOnlyList<string> Crashes
    {
        get
        {
            lock (_log)
            {
                return [.. _crashes];
            }
        }
    }

    /// <summary>Resident memory in MB (NaN when not running).</summary>
    public double RssMb() => Pid is { } pid ? ProcessInfo.RssMb(pid) : double.NaN;

    /// <summary>Starts the process and waits (bounded) until it is ready.</summary>
    public async Task StartAsync(TimeSpan timeout, CancellationToken ct = default)
    {
        if (Running)
        {
            return;
        }
        var psi = new ProcessStartInfo(_fileName, _args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _scratch.Path,
        };
        foreach (var (k, v) in _env)
        {
            psi.Environment[k] = v;
        }
        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        process.Exited += (_, _) => OnExited(process);
        if (!process.Start())
        {
            throw new InvalidOperationException($"{Name} did not start");
        }
        _scratch.Track(process.Id);
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with {process.ExitCode} while starting:\n{Tail()}");
            }
            try
            {
                if (await _ready(this, deadline.Token))
                {
                    return;
                }
                await Task.Delay(100, deadline.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                await KillAsync();
                throw new TimeoutException($"{Name} was not ready within {timeout.TotalSeconds:F0} s:\n{Tail()}");
            }
        }
    }

    /// <summary>SIGKILL: no shutdown hooks, no flushing, like a crash or an OOM kill.</summary>
    public async Task KillAsync()
    {
        var process = _process;
        _process = null;
        if (process is null)
        {
            return;
        }
        if (!process.HasExited)
        {
            Volatile.Write(ref _killing, process);
            process.Kill(entireProcessTree: true);
            using var bounded = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await process.WaitForExitAsync(bounded.Token);
        }
        process.Dispose();
        Keep($"--- {Name} killed ---");
    }

    /// <summary>All output so far (see <see cref="LogFile"/>).</summary>
    public string Output()
    {
        lock (_log)
        {
            return File.Exists(LogFile) ? File.ReadAllText(LogFile) : "";
        }
    }

    public string Tail()
    {
        lock (_log)
        {
            return string.Join('\n', _log.TakeLast(40));
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await KillAsync();
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void OnExited(Process process)
    {
        if (ReferenceEquals(Volatile.Read(ref _killing), process))
        {
            return;
        }
        string code;
        try
        {
            code = process.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (InvalidOperationException)
        {
            code = "?";
        }
        var tail = Tail();
        lock (_log)
        {
            _crashes.Add($"{Name} exited by itself (code {code}) at {DateTime.UtcNow:HH:mm:ss.fff}:\n{tail}");
        }
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_log)
        {
            File.AppendAllText(LogFile, line + "\n");
            _log.Add(line);
            if (_log.Count > 400)
            {
                _log.RemoveRange(0, 100);
            }
        }
    }

    /// <summary>Ready when GET path answers 2xx.</summary>
    public static Func<ChildProcess, CancellationToken, Task<bool>> HttpReady(string path)
    {
        var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        return async (p, ct) =>
        {
            try
            {
                using var response = await http.GetAsync(new Uri(p.BaseAddress, path), ct);
                return response.IsSuccessStatusCode;
            }
            catch (HttpRequestException)
            {
                return false;
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
                return false;
            }
        };
    }
}
