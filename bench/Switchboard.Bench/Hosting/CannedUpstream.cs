using System.Globalization;
using System.Text;

namespace Switchboard.Bench.Hosting;

/// <summary>
/// nginx replaying the simulator's answers byte for byte: one chat completion at <see cref="PlainPath"/> and one
/// SSE stream (usage chunk and <c>[DONE]</c> included) at <see cref="StreamPath"/>, with the simulator's rate-limit
/// headers. The quiet upstream issue 4 names ("nginx returning a canned body"): an event loop that sleeps in
/// epoll between requests, where the .NET simulator's thread pool spins a core at one connection and so competes
/// with the proxy under test for this machine's two cores (every proxy's added latency at one connection
/// included that contention: the bare forwarder's +0.13 ms over the simulator is +0.03 ms over nginx).
/// </summary>
internal sealed class CannedUpstream : IAsyncDisposable
{
    public const string PlainPath = "/plain/v1";
    public const string StreamPath = "/stream/v1";

    private readonly ServerProcess _nginx;
    private readonly DirectoryInfo _dir;

    private CannedUpstream(ServerProcess nginx, DirectoryInfo dir)
    {
        _nginx = nginx;
        _dir = dir;
    }

    public string BaseUrl => _nginx.BaseUrl;

    /// <summary>Records one answer of each kind from <paramref name="simulatorBase"/> (…/v1) and serves them with nginx.</summary>
    public static async Task<CannedUpstream> StartAsync(HttpClient http, string simulatorBase, string plainBody, string streamBody, string apiKey)
    {
        var (plain, headers) = await CaptureAsync(http, simulatorBase, plainBody, apiKey);
        var (stream, _) = await CaptureAsync(http, simulatorBase, streamBody, apiKey);
        var dir = Directory.CreateTempSubdirectory("sb-bench-nginx-");
        // nginx's workers drop root privileges: the folder and files must be readable by any user.
        MakeReadable(dir.FullName, (UnixFileMode)0b111_101_101);
        await WriteReadableAsync(Path.Combine(dir.FullName, "plain.json"), plain);
        await WriteReadableAsync(Path.Combine(dir.FullName, "stream.sse"), stream);
        var port = ServerProcess.FreePort();
        var config = Path.Combine(dir.FullName, "nginx.conf");
        await WriteReadableAsync(config, Encoding.UTF8.GetBytes(Config(dir.FullName, port, headers)));
        try
        {
            var nginx = await ServerProcess.StartAsync("nginx", Binary, ["-p", dir.FullName, "-c", config, "-e", "stderr", "-g", "daemon off;"], port, "/health");
            return new CannedUpstream(nginx, dir);
        }
        catch
        {
            dir.Delete(recursive: true);
            throw;
        }
    }

    /// <summary>Debian puts nginx in /usr/sbin, which a user's PATH may lack.</summary>
    private static string Binary => File.Exists("/usr/sbin/nginx") ? "/usr/sbin/nginx" : "nginx";

    private static async Task<(byte[] Body, List<KeyValuePair<string, string>> Headers)> CaptureAsync(HttpClient http, string baseUrl, string body, string apiKey)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{baseUrl}/chat/completions") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("Authorization", $"Bearer {apiKey}");
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        var headers = response.Headers
            .Where(h => h.Key.StartsWith("x-ratelimit-", StringComparison.OrdinalIgnoreCase) || h.Key.StartsWith("openai-", StringComparison.OrdinalIgnoreCase))
            .Select(h => KeyValuePair.Create(h.Key, string.Join(", ", h.Value)))
            .ToList();
        return (await response.Content.ReadAsByteArrayAsync(), headers);
    }

    private static async Task WriteReadableAsync(string path, byte[] content)
    {
        await File.WriteAllBytesAsync(path, content);
        MakeReadable(path, (UnixFileMode)0b110_100_100);
    }

    private static void MakeReadable(string path, UnixFileMode mode)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, mode);
        }
    }

    private static string Config(string dir, int port, List<KeyValuePair<string, string>> headers)
    {
        var sb = new StringBuilder();
        foreach (var (name, value) in headers)
        {
            sb.Append(CultureInfo.InvariantCulture, $"    add_header {name} \"{value}\" always;\n");
        }
        // POST to a static file is a 405 in nginx: each chat path answers 405, which error_page turns into an
        // internal GET of the canned file with status 200 (the request body is read and discarded).
        return $$"""
            worker_processes 1;
            pid {{dir}}/nginx.pid;
            events { worker_connections 4096; }
            http {
              access_log off;
              client_body_temp_path {{dir}}/body;
              keepalive_requests 100000000;
              keepalive_timeout 600s;
              etag off;
              server {
                listen 127.0.0.1:{{port}};
                root {{dir}};
            {{sb}}
                location = /health { return 200 "ok"; }
                location = {{PlainPath}}/chat/completions { error_page 405 =200 /plain.json; return 405; }
                location = {{StreamPath}}/chat/completions { error_page 405 =200 /stream.sse; return 405; }
                location = /plain.json { internal; default_type application/json; }
                location = /stream.sse { internal; default_type "text/event-stream; charset=utf-8"; }
              }
            }
            """;
    }

    public async ValueTask DisposeAsync()
    {
        await _nginx.DisposeAsync();
        _dir.Delete(recursive: true);
    }
}
