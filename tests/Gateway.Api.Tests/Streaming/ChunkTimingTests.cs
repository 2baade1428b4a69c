using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using Switchboard.Gateway.Tests.Infrastructure;

namespace Switchboard.Gateway.Tests.Streaming;

/// <summary>Each streamed chunk reaches the client as soon as the upstream sends it: the gateway holds nothing back.</summary>
public sealed class ChunkTimingTests : IAsyncLifetime
{
    private const int Chunks = 6;
    private ScriptedUpstream _upstream = null!;
    private GatewayFactory _gateway = null!;

    public async Task InitializeAsync()
    {
        _upstream = await ScriptedUpstream.StartAsync();
        _gateway = _upstream.Gateway(attemptTimeoutMs: 60_000);
    }

    public async Task DisposeAsync()
    {
        _gateway.Dispose();
        await _upstream.DisposeAsync();
    }

    [Fact]
    public async Task The_client_receives_chunk_k_before_the_upstream_writes_chunk_k_plus_one()
    {
        // The upstream writes chunk k+1 only after the client has seen chunk k (or after a 5 s give-up, which
        // fails the test): chunks held back anywhere in the gateway would deadlock into that give-up.
        var seen = Enumerable.Range(0, Chunks).Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        var written = new long[Chunks];
        var heldBack = 0;
        _upstream.Handler = async ctx =>
        {
            ctx.Response.ContentType = "text/event-stream";
            for (var k = 0; k < Chunks; k++)
            {
                written[k] = Stopwatch.GetTimestamp();
                await ScriptedUpstream.WriteFrameAsync(ctx, ScriptedUpstream.OpenAIChunk($"|{k}|", k == Chunks - 1 ? "stop" : null));
                if (await Task.WhenAny(seen[k].Task, Task.Delay(5_000)) != seen[k].Task)
                {
                    Interlocked.Increment(ref heldBack);
                }
            }
            await ScriptedUpstream.WriteFrameAsync(ctx, "[DONE]");
        };

        using var http = _gateway.Http();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent("""{"model":"chat","stream":true,"messages":[{"role":"user","content":"count"}]}""", Encoding.UTF8, "application/json"),
        };
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        await using var body = await response.Content.ReadAsStreamAsync();

        var received = new StringBuilder();
        var delays = new double[Chunks];
        var buffer = new byte[4096];
        var next = 0;
        int n;
        while ((n = await body.ReadAsync(buffer)) > 0)
        {
            received.Append(Encoding.UTF8.GetString(buffer, 0, n));
            while (next < Chunks && received.ToString().Contains($"|{next}|", StringComparison.Ordinal))
            {
                delays[next] = Stopwatch.GetElapsedTime(written[next]).TotalMilliseconds;
                seen[next].TrySetResult();
                next++;
            }
        }

        Assert.Equal(Chunks, next);
        Assert.Equal(0, heldBack);
        Assert.EndsWith("data: [DONE]\n\n", received.ToString(), StringComparison.Ordinal);
        // Loopback on a busy CI machine: generous, but a chunk buffered until the next one (or the end) never passes.
        Assert.All(delays, d => Assert.True(d < 1_000, $"chunk forwarded {d:0.0} ms after the upstream wrote it"));
    }
}
