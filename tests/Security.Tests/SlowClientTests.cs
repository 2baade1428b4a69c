using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Switchboard.Testing.Stack;
using Xunit.Abstractions;

namespace Switchboard.Security.Tests;

/// <summary>
/// Slowloris and friends against a gateway process (gateway-b of <see cref="SecurityStack"/>): headers dribbled a
/// byte at a time, a body sent far below the minimum data rate, and a crowd of idle connections. Each is cut off
/// within the configured limit (tightened through the same <c>Kestrel__Limits__*</c> environment an operator uses,
/// so the test takes seconds; see <see cref="SecurityStack.SlowClientLimits"/>), while a well-behaved client keeps
/// getting answers throughout.
/// </summary>
[Collection(SecurityCollection.Name)]
public sealed class SlowClientTests(SecurityStack fixture, ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan HeadersTimeout = SecurityStack.HeadersTimeout;
    private static readonly TimeSpan KeepAlive = SecurityStack.KeepAlive;
    private const int MaxConnections = SecurityStack.MaxConnections;
    // Kestrel checks timeouts on a 1 s heartbeat; allow two beats and a loaded machine's scheduling on top.
    private static readonly TimeSpan Slack = TimeSpan.FromSeconds(4);

    private static readonly string Key = SwitchboardStack.GatewayKey;
    private HttpClient _http = null!;
    private int _port;

    public async Task InitializeAsync()
    {
        var gateway = fixture.Stack.Gateways[1];
        _http = new HttpClient { BaseAddress = gateway.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        _port = gateway.Port;
        // Warm: the first request pays for JIT and connection set-up.
        Assert.True(await GoodRequestAsync(), "the gateway does not answer a good request");
    }

    public Task DisposeAsync()
    {
        _http.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Headers_dribbled_byte_by_byte_are_cut_off_at_the_headers_timeout_while_good_clients_are_served()
    {
        var head = Encoding.ASCII.GetBytes("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + Key +
                                           "\r\nX-Padding: " + new string('a', 4000) + "\r\n");
        using var good = new GoodClients(GoodRequestAsync);
        var slow = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => DripAsync(head, bytesPerStep: 1, step: TimeSpan.FromMilliseconds(100))));
        var served = await good.StopAsync();

        output.WriteLine($"dribbling clients cut off after {string.Join(", ", slow.Select(s => $"{s.Elapsed.TotalSeconds:F1} s/{s.Sent} B"))}; good clients {served}");
        Assert.All(slow, s => Assert.True(s.Closed && s.Elapsed < HeadersTimeout + Slack,
            $"a dribbling client was still connected after {s.Elapsed.TotalSeconds:F1} s ({s.Sent} bytes sent; limit {HeadersTimeout.TotalSeconds} s)"));
        AssertServed(served);
    }

    [Fact]
    public async Task A_body_sent_below_the_minimum_rate_is_cut_off_while_good_clients_are_served()
    {
        // Kestrel's default minimum: 240 bytes/s after a 5 s grace period. This client sends 20 bytes/s.
        var body = Encoding.UTF8.GetBytes($$"""{"model":"chat","messages":[{"role":"user","content":"{{new string('x', 20_000)}}"}]}""");
        var head = Encoding.ASCII.GetBytes("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + Key +
                                           $"\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n");
        using var good = new GoodClients(GoodRequestAsync);
        var slow = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => DripAsync([.. head, .. body], bytesPerStep: 2, step: TimeSpan.FromMilliseconds(100), skip: head.Length)));
        var served = await good.StopAsync();

        output.WriteLine($"slow bodies cut off after {string.Join(", ", slow.Select(s => $"{s.Elapsed.TotalSeconds:F1} s/{s.Sent} B, answer: {s.Answer}"))}; good clients {served}");
        var limit = TimeSpan.FromSeconds(5) + Slack;
        Assert.All(slow, s => Assert.True(s.Closed && s.Elapsed < limit,
            $"a slow body was still being read after {s.Elapsed.TotalSeconds:F1} s ({s.Sent} bytes)"));
        // If Kestrel gets to answer before closing, it is a 4xx (408), never a 5xx.
        Assert.All(slow, s => Assert.True(s.Answer is null || s.Answer.StartsWith("HTTP/1.1 4", StringComparison.Ordinal), $"answer: {s.Answer}"));
        AssertServed(served);
    }

    [Fact]
    public async Task Idle_connections_beyond_the_limit_are_refused_and_all_are_dropped_after_the_timeout()
    {
        var idle = new List<TcpClient>();
        try
        {
            // More idle connections than the limit: the excess are closed at once, the rest within the timeout.
            for (var i = 0; i < MaxConnections + 20; i++)
            {
                var c = new TcpClient();
                await c.ConnectAsync("127.0.0.1", _port);
                idle.Add(c);
            }
            var clock = Stopwatch.StartNew();
            var closedAt = await Task.WhenAll(idle.Select(c => ClosedAfterAsync(c, clock, TimeSpan.FromSeconds(20))));
            var early = closedAt.Count(t => t < TimeSpan.FromSeconds(1));
            output.WriteLine($"{idle.Count} idle connections: {early} closed within 1 s (over the limit of {MaxConnections}), " +
                             $"last closed at {closedAt.Max().TotalSeconds:F1} s; never closed: {closedAt.Count(t => t == TimeSpan.MaxValue)}");
            Assert.True(early >= 20, $"only {early} connections over the limit of {MaxConnections} were refused at once");
            Assert.All(closedAt, t => Assert.True(t < KeepAlive + HeadersTimeout + Slack, $"an idle connection lived {t.TotalSeconds:F1} s"));

            // And once they are gone, a good client is served.
            Assert.True(await GoodRequestAsync(), "a good request failed after the idle connections were dropped");
        }
        finally
        {
            idle.ForEach(c => c.Dispose());
        }
    }

    [Fact]
    public async Task Idle_connections_under_the_limit_do_not_keep_good_clients_out()
    {
        var idle = new List<TcpClient>();
        try
        {
            for (var i = 0; i < MaxConnections / 2; i++)
            {
                var c = new TcpClient();
                await c.ConnectAsync("127.0.0.1", _port);
                idle.Add(c);
            }
            using var good = new GoodClients(GoodRequestAsync);
            await Task.Delay(TimeSpan.FromSeconds(2));
            var served = await good.StopAsync();
            output.WriteLine($"{idle.Count} idle connections open; good clients {served}");
            AssertServed(served);
        }
        finally
        {
            idle.ForEach(c => c.Dispose());
        }
    }

    private static void AssertServed((int Ok, int Failed) served)
    {
        Assert.True(served.Failed == 0, $"{served.Failed} good requests failed while slow clients were around");
        Assert.True(served.Ok >= 3, $"only {served.Ok} good requests were answered");
    }

    private async Task<bool> GoodRequestAsync()
    {
        using var response = await _http.PostAsync("/v1/chat/completions",
            new StringContent("""{"model":"chat","messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"));
        return response.IsSuccessStatusCode;
    }

    /// <summary>Sends <paramref name="bytes"/> (the first <paramref name="skip"/> at once), a few bytes a step, until the server closes.</summary>
    private async Task<SlowResult> DripAsync(byte[] bytes, int bytesPerStep, TimeSpan step, int skip = 0)
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", _port);
        var stream = client.GetStream();
        var clock = Stopwatch.StartNew();
        var sent = 0;
        var reading = ReadAnswerAsync(stream);
        try
        {
            if (skip > 0)
            {
                await stream.WriteAsync(bytes.AsMemory(0, skip));
                sent = skip;
            }
            while (sent < bytes.Length && clock.Elapsed < TimeSpan.FromSeconds(40) && !reading.IsCompleted)
            {
                var n = Math.Min(bytesPerStep, bytes.Length - sent);
                await stream.WriteAsync(bytes.AsMemory(sent, n));
                sent += n;
                await Task.Delay(step);
            }
        }
        catch (IOException)
        {
        }
        var answer = await reading.WaitAsync(TimeSpan.FromSeconds(45));
        return new SlowResult(reading.IsCompleted, clock.Elapsed, sent, answer);
    }

    /// <summary>What the server sent before closing (first line), or null when it closed without a word.</summary>
    private static async Task<string?> ReadAnswerAsync(NetworkStream stream)
    {
        var buffer = new byte[4096];
        var text = new StringBuilder();
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer)) > 0)
            {
                text.Append(Encoding.ASCII.GetString(buffer, 0, n));
            }
        }
        catch (IOException)
        {
        }
        return text.Length == 0 ? null : text.ToString().Split("\r\n")[0];
    }

    private static async Task<TimeSpan> ClosedAfterAsync(TcpClient client, Stopwatch clock, TimeSpan max)
    {
        using var cts = new CancellationTokenSource(max);
        try
        {
            var buffer = new byte[64];
            while (await client.GetStream().ReadAsync(buffer, cts.Token) > 0)
            {
            }
        }
        catch (OperationCanceledException)
        {
            return TimeSpan.MaxValue;
        }
        catch (IOException)
        {
        }
        return clock.Elapsed;
    }

    private sealed record SlowResult(bool Closed, TimeSpan Elapsed, int Sent, string? Answer);

    /// <summary>A well-behaved client sending one request after another until stopped.</summary>
    private sealed class GoodClients : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task<(int, int)> _loop;

        public GoodClients(Func<Task<bool>> request) => _loop = Task.Run(async () =>
        {
            int ok = 0, failed = 0;
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    if (await request())
                    {
                        ok++;
                    }
                    else
                    {
                        failed++;
                    }
                }
                catch (HttpRequestException)
                {
                    failed++;
                }
                await Task.Delay(100);
            }
            return (ok, failed);
        });

        public async Task<(int Ok, int Failed)> StopAsync()
        {
            await _stop.CancelAsync();
            return await _loop;
        }

        public void Dispose() => _stop.Dispose();
    }
}
