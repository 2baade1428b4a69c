using System.Diagnostics;
using Switchboard.Testing;
using Switchboard.Testing.Stack;

namespace Switchboard.Metrics.Bench;

/// <summary>Metrics.Service as its own process on a loopback port (the build of the same configuration as this bench).</summary>
internal sealed class ServiceProcess : IAsyncDisposable
{
    public const string AdminKey = "bench-admin-key-5b0c2e";
    private readonly Process _process;

    private ServiceProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    /// <summary>The service's OS process (for its CPU time).</summary>
    public Process Process => _process;

    public static async Task<ServiceProcess> StartAsync(string redis, string metricsdb, IDictionary<string, string>? settings = null)
    {
        var dll = Locate();
        var port = FreePort.Next();
        var start = new ProcessStartInfo("dotnet", $"\"{dll}\" --urls http://127.0.0.1:{port}")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        start.Environment["ConnectionStrings__redis"] = redis;
        start.Environment["ConnectionStrings__metricsdb"] = metricsdb;
        start.Environment["Switchboard__AdminKey"] = AdminKey;
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException("Metrics.Service did not start");
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) Console.WriteLine($"  [service] {e.Data}"); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.WriteLine($"  [service] {e.Data}"); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var service = new ServiceProcess(process, new Uri($"http://127.0.0.1:{port}"));
        using var http = new HttpClient { BaseAddress = service.BaseAddress };
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < TimeSpan.FromSeconds(240)) // JIT and migrations take minutes on a machine at load 80
        {
            try
            {
                if ((await http.GetAsync(new Uri("/health", UriKind.Relative))).IsSuccessStatusCode)
                {
                    return service;
                }
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(100);
        }
        await service.DisposeAsync();
        throw new TimeoutException("Metrics.Service did not become healthy");
    }

    public HttpClient CreateClient()
    {
        var http = new HttpClient { BaseAddress = BaseAddress };
        http.DefaultRequestHeaders.Authorization = new("Bearer", AdminKey);
        return http;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    /// <summary>
    /// The service's build of this bench's configuration in this repository (<see cref="RepoLayout"/>), or another
    /// build named by METRICS_SERVICE_DLL (say, the code before a change, for a side-by-side baseline).
    /// </summary>
    private static string Locate() =>
        Environment.GetEnvironmentVariable("METRICS_SERVICE_DLL") is { Length: > 0 } other
            ? File.Exists(other) ? other : throw new FileNotFoundException("METRICS_SERVICE_DLL not found", other)
            : RepoLayout.Dll("Metrics.Service");
}
