using System.Net.Http.Headers;
using System.Text;
using Switchboard.Contracts.Outcomes;
using Switchboard.Gateway.Tests.Infrastructure;

namespace Switchboard.Gateway.Tests.Streaming;

/// <summary>An upstream that falls silent mid-stream is a broken stream once the idle timeout passes.</summary>
public sealed class StreamIdleTimeoutTests : IAsyncLifetime
{
    private readonly CapturingOutcomeSink _outcomes = new();
    private ScriptedUpstream _upstream = null!;
    private GatewayFactory _gateway = null!;

    public async Task InitializeAsync()
    {
        _upstream = await ScriptedUpstream.StartAsync();
        _gateway = _upstream.Gateway(attemptTimeoutMs: 30_000, new() { ["Switchboard:Gateway:StreamIdleTimeoutMs"] = "400" }, _outcomes.Install);
    }

    public async Task DisposeAsync()
    {
        _gateway.Dispose();
        await _upstream.DisposeAsync();
    }

    [Fact]
    public async Task Silence_past_the_idle_timeout_ends_the_stream_with_an_error_event_and_no_done()
    {
        var released = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _upstream.Handler = async ctx =>
        {
            ctx.Response.ContentType = "text/event-stream";
            await ScriptedUpstream.WriteFrameAsync(ctx, ScriptedUpstream.OpenAIChunk("Hello"));
            // Silent, far past the idle timeout but well inside the attempt timeout.
            await Task.WhenAny(released.Task, Task.Delay(20_000, ctx.RequestAborted));
        };

        using var http = _gateway.Http();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent("""{"model":"chat","stream":true,"messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("x-request-id", "idle-1");
        var started = DateTime.UtcNow;
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        var text = new StringBuilder();
        await using (var body = await response.Content.ReadAsStreamAsync())
        {
            var buffer = new byte[4096];
            try
            {
                int n;
                while ((n = await body.ReadAsync(buffer)) > 0)
                {
                    text.Append(Encoding.UTF8.GetString(buffer, 0, n));
                }
            }
            catch (Exception ex) when (ex is IOException or HttpRequestException)
            {
                // The gateway aborts the connection after the error event: the client must not see a clean end.
            }
        }
        var elapsed = DateTime.UtcNow - started;
        released.TrySetResult();

        var s = text.ToString();
        Assert.Contains("Hello", s, StringComparison.Ordinal);
        Assert.Contains("\"code\":\"stream_interrupted\"", s, StringComparison.Ordinal);
        Assert.Contains("no data from the upstream", s, StringComparison.Ordinal);
        Assert.DoesNotContain("[DONE]", s, StringComparison.Ordinal);
        Assert.True(elapsed < TimeSpan.FromSeconds(10), $"took {elapsed.TotalSeconds:0.0} s");

        var events = await _outcomes.ForRequestAsync("idle-1", 1);
        var e = Assert.Single(events);
        Assert.Equal(AttemptOutcome.Failure, e.Outcome);
        Assert.Equal(ErrorClass.Timeout, e.Error);
        Assert.Contains("no data from the upstream", e.ErrorMessage, StringComparison.Ordinal);
    }
}
