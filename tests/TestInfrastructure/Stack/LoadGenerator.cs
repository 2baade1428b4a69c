using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace Switchboard.Testing.Stack;

/// <summary>What became of one client request.</summary>
public sealed record RequestResult(
    long Index,
    string RequestId,
    bool Stream,
    bool Intruder,
    int FirstReplica,
    int Replica,
    int ConnectRetries,
    TimeSpan StartedAt,
    TimeSpan Latency,
    int Status,
    int Attempts,
    bool Ok,
    string? Error);

/// <summary>
/// An open-loop client: requests start on a fixed schedule whatever the answers do (so a stall shows as latency and
/// errors, not as a lower rate), alternately streaming and not, spread round robin over the gateway replicas. Like a
/// well-behaved client it retries a request on the next replica when the connection could not be established (the
/// request never reached a gateway); it does not retry a request that had reached one. One request in
/// <see cref="IntruderEvery"/> carries a wrong key and must be refused with 401.
/// </summary>
public sealed class LoadGenerator : IAsyncDisposable
{
    public const int IntruderEvery = 25;

    private readonly HttpClient _http;
    private readonly Uri[] _replicas;
    private readonly string _key;
    private readonly string _task;
    private readonly double _rate;
    private readonly ConcurrentQueue<RequestResult> _results = new();
    private readonly ConcurrentDictionary<long, int> _inFlight = new();
    private readonly Stopwatch _clock = new();
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;
    private long _sent;
    private long _pending;

    public LoadGenerator(IReadOnlyList<Uri> replicas, string gatewayKey, string task, double requestsPerSecond)
    {
        _replicas = [.. replicas];
        _key = gatewayKey;
        _task = task;
        _rate = requestsPerSecond;
        _http = new HttpClient(new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(5),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            MaxConnectionsPerServer = 512,
        })
        {
            Timeout = TimeSpan.FromSeconds(60),
        };
    }

    /// <summary>Time since the load started (the clock of <see cref="RequestResult.StartedAt"/>).</summary>
    public TimeSpan Elapsed => _clock.Elapsed;

    public long Sent => Interlocked.Read(ref _sent);

    /// <summary>Requests in flight on a replica right now.</summary>
    public int InFlightOn(int replica) => _inFlight.Values.Count(r => r == replica);

    public void Start()
    {
        _clock.Start();
        _loop = Task.Run(() => RunAsync(_stop.Token));
    }

    /// <summary>Stops starting requests and waits (bounded by the client timeout) for those in flight.</summary>
    public async Task<IReadOnlyList<RequestResult>> StopAsync()
    {
        await _stop.CancelAsync();
        if (_loop is not null)
        {
            await _loop;
        }
        // Bounded by the client timeout: every request ends one way or another within it.
        var deadline = DateTime.UtcNow + _http.Timeout + TimeSpan.FromSeconds(30);
        while (Interlocked.Read(ref _pending) > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }
        return Drain();
    }

    /// <summary>The results recorded since the last drain.</summary>
    public IReadOnlyList<RequestResult> Drain()
    {
        var list = new List<RequestResult>();
        while (_results.TryDequeue(out var r))
        {
            list.Add(r);
        }
        return list;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync();
        }
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        _http.Dispose();
        _stop.Dispose();
    }

    private async Task RunAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(10));
        long index = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                var due = (long)(_clock.Elapsed.TotalSeconds * _rate);
                while (index < due)
                {
                    Interlocked.Increment(ref _pending);
                    _ = SendAsync(index++);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task SendAsync(long i)
    {
        try
        {
            await SendWithRetryAsync(i);
        }
        finally
        {
            Interlocked.Decrement(ref _pending);
        }
    }

    private async Task SendWithRetryAsync(long i)
    {
        Interlocked.Increment(ref _sent);
        var id = $"{_task}-{i:D7}";
        var stream = i % 2 == 1;
        var intruder = i % IntruderEvery == IntruderEvery - 1;
        var first = (int)((i / 2) % _replicas.Length);
        var started = _clock.Elapsed;
        var replica = first;
        var retries = 0;
        while (true)
        {
            _inFlight[i] = replica;
            try
            {
                var (status, attempts, ok, error) = await SendOnceAsync(_replicas[replica], id, stream, intruder);
                Record(new RequestResult(i, id, stream, intruder, first, replica, retries, started, _clock.Elapsed - started, status, attempts, ok, error));
                return;
            }
            catch (HttpRequestException ex) when (ex.HttpRequestError == HttpRequestError.ConnectionError && retries < _replicas.Length - 1)
            {
                // Never reached a gateway: safe to send elsewhere.
                retries++;
                replica = (replica + 1) % _replicas.Length;
            }
            catch (Exception ex)
            {
                // Whatever went wrong, the request is counted (as failed), never silently dropped from the tally.
                Record(new RequestResult(i, id, stream, intruder, first, replica, retries, started, _clock.Elapsed - started, 0, 0, false,
                    $"{ex.GetType().Name}: {ex.Message}"));
                return;
            }
            finally
            {
                _inFlight.TryRemove(i, out _);
            }
        }
    }

    private void Record(RequestResult result) => _results.Enqueue(result);

    private async Task<(int Status, int Attempts, bool Ok, string? Error)> SendOnceAsync(Uri gateway, string id, bool stream, bool intruder)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(gateway, "/v1/chat/completions"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", intruder ? "sk-not-a-key-" + id : _key);
        request.Headers.Add("x-request-id", id);
        request.Headers.Add("x-switchboard-task", _task);
        var body = stream
            ? $$"""{"model":"chat","stream":true,"stream_options":{"include_usage":true},"max_tokens":16,"messages":[{"role":"user","content":"Say something about request {{id}}."}]}"""
            : $$"""{"model":"chat","max_tokens":16,"messages":[{"role":"user","content":"Say something about request {{id}}."}]}""";
        request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var status = (int)response.StatusCode;
        var attempts = response.Headers.TryGetValues("x-switchboard-attempts", out var values)
            && int.TryParse(values.FirstOrDefault(), CultureInfo.InvariantCulture, out var a) ? a : 0;
        var text = await response.Content.ReadAsStringAsync();
        if (intruder)
        {
            return (status, attempts, status == (int)HttpStatusCode.Unauthorized, status == 401 ? null : $"intruder got {status}");
        }
        if (status != 200)
        {
            return (status, attempts, false, $"status {status}: {Shorten(text)}");
        }
        var complete = stream
            ? text.TrimEnd().EndsWith("data: [DONE]", StringComparison.Ordinal) && !text.Contains("\"error\"", StringComparison.Ordinal)
            : text.Contains("\"choices\"", StringComparison.Ordinal);
        return (status, attempts, complete, complete ? null : $"incomplete body: {Shorten(text)}");
    }

    private static string Shorten(string s) => s.Length <= 300 ? s : s[..300] + "...";
}
