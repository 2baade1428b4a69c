using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Switchboard.Simulator.Tests.Hosting;

// The way the gateway's tests and the benchmarks start it: dotnet Provider.Simulator.dll --urls ... from another
// directory. Settings must still be found (quiet logging, configuration) and requests must not be logged.
public sealed class ProcessTests
{
    [Fact]
    public async Task Started_as_a_dll_from_elsewhere_it_serves_reads_its_settings_and_logs_no_requests()
    {
        var dll = FindSimulatorDll();
        var port = FreePort();
        var output = new StringBuilder();
        var workingDirectory = Directory.CreateTempSubdirectory("sim-cwd").FullName;
        var start = new ProcessStartInfo("dotnet", [dll, "--urls", $"http://127.0.0.1:{port}"])
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment = { ["Simulator__Providers__fromenv__type"] = "gemini", ["DOTNET_ENVIRONMENT"] = "Production", ["ASPNETCORE_ENVIRONMENT"] = "Production" },
        };

        using var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(5) };
            await WaitHealthyAsync(http);

            for (var i = 0; i < 5; i++)
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, "/fromenv/v1beta/models/gemini-2.0-flash:generateContent?key=k")
                {
                    Content = new StringContent("""{"contents":[{"parts":[{"text":"hi"}]}]}""", Encoding.UTF8, "application/json"),
                };
                using var response = await http.SendAsync(request);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }

            Assert.Contains("\"type\":\"gemini\"", await http.GetStringAsync("/_sim/providers/fromenv"), StringComparison.Ordinal);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            Directory.Delete(workingDirectory, recursive: true);
        }

        string log;
        lock (output)
        {
            log = output.ToString();
        }

        Assert.Contains("Now listening on", log, StringComparison.Ordinal);
        Assert.DoesNotContain("Request starting", log, StringComparison.Ordinal);
        Assert.DoesNotContain("Executing endpoint", log, StringComparison.Ordinal);
    }

    private static async Task WaitHealthyAsync(HttpClient http)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            try
            {
                if ((await http.GetAsync("/health", timeout.Token)).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100, timeout.Token);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    // The simulator's own build output (same configuration as the tests), not the copy beside the tests.
    private static string FindSimulatorDll()
    {
        var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "Provider.Simulator", "bin", configuration, "net10.0", "Provider.Simulator.dll");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException("Provider.Simulator.dll not found above " + AppContext.BaseDirectory);
    }
}
