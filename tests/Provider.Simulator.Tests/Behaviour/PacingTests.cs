using System.Net;
using System.Net.Http.Json;
using System.Text;
using Switchboard.Simulator.Tests.Infrastructure;

namespace Switchboard.Simulator.Tests.Behaviour;

// Pacing on a FakeTimeProvider: a token arrives exactly when fake time reaches its due time. "Not yet" is checked
// after a short real pause; it cannot fail spuriously, since nothing but advancing the fake clock can release the
// token.
public sealed class PacingTests(FakeClockSimulatorServer server) : IClassFixture<FakeClockSimulatorServer>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private static HttpRequestMessage Chat(string provider, bool stream) =>
        new(HttpMethod.Post, $"/{provider}/v1/chat/completions")
        {
            Content = JsonContent.Create(new { model = "gpt-4o", stream, messages = new[] { new { role = "user", content = "hi" } } }),
            Headers = { { "Authorization", "Bearer sk-sim" } },
        };

    private static async Task AssertPendingAsync(Task task)
    {
        await Task.Delay(150);
        Assert.False(task.IsCompleted, $"arrived before it was due: {task.Status} {task.Exception?.GetBaseException().Message} {(task is Task<string?> { IsCompletedSuccessfully: true } t ? t.Result : "")}");
    }

    [Fact]
    public async Task Stream_headers_come_at_once_the_first_token_at_the_ttft_and_the_next_at_one_over_tokens_per_second()
    {
        var provider = await server.ProviderAsync("openai", new { ttftMs = new { p50 = 1000, p99 = 1000 }, tokensPerSecond = 10, outputTokens = 3 });

        using var response = await server.Http.SendAsync(Chat(provider, stream: true), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());

        var first = Sse.ReadBlockAsync(reader);
        server.Time.Advance(TimeSpan.FromMilliseconds(999));
        await AssertPendingAsync(first);
        server.Time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Contains("\"role\":\"assistant\"", await first.WaitAsync(Patience), StringComparison.Ordinal);
        Assert.Contains("\"content\":\"", await Sse.ReadBlockAsync(reader).WaitAsync(Patience), StringComparison.Ordinal);

        var second = Sse.ReadBlockAsync(reader);
        server.Time.Advance(TimeSpan.FromMilliseconds(99));
        await AssertPendingAsync(second);
        server.Time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Contains("\"content\":\"", await second.WaitAsync(Patience), StringComparison.Ordinal);

        server.Time.Advance(TimeSpan.FromMilliseconds(100));
        var rest = await reader.ReadToEndAsync().WaitAsync(Patience);
        Assert.EndsWith("data: [DONE]\n\n", rest, StringComparison.Ordinal);
        Assert.Equal(new Stats(1, 1, 0, 0), await server.WaitForStatsAsync(provider, s => s.Completed == 1));
    }

    [Fact]
    public async Task A_non_streaming_answer_arrives_when_its_last_token_is_generated()
    {
        var provider = await server.ProviderAsync("openai", new { ttftMs = new { p50 = 500, p99 = 500 }, tokensPerSecond = 4, outputTokens = 3 });

        var pending = server.Http.SendAsync(Chat(provider, stream: false));
        await server.WaitForStatsAsync(provider, s => s.Requests == 1);
        server.Time.Advance(TimeSpan.FromMilliseconds(999));
        await AssertPendingAsync(pending);
        server.Time.Advance(TimeSpan.FromMilliseconds(1));

        using var response = await pending.WaitAsync(Patience);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task A_client_that_leaves_mid_stream_is_counted_as_cancelled()
    {
        var provider = await server.ProviderAsync("openai", new { tokensPerSecond = 1, outputTokens = 5 });

        var response = await server.Http.SendAsync(Chat(provider, stream: true), HttpCompletionOption.ResponseHeadersRead);
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        await Sse.ReadBlockAsync(reader).WaitAsync(Patience);
        reader.Dispose();
        response.Dispose();

        Assert.Equal(new Stats(1, 0, 1, 0), await server.WaitForStatsAsync(provider, s => s.Cancelled == 1));
    }

    [Fact]
    public async Task A_mid_stream_disconnect_drops_the_connection_when_the_token_after_the_cut_off_is_due()
    {
        var provider = await server.ProviderAsync("openai", new { tokensPerSecond = 10, outputTokens = 10, midStreamDisconnect = 1.0, disconnectAfterChunks = 3 });

        using var response = await server.Http.SendAsync(Chat(provider, stream: true), HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        Assert.Contains("\"role\"", await Sse.ReadBlockAsync(reader).WaitAsync(Patience), StringComparison.Ordinal);
        for (var token = 0; token < 3; token++)
        {
            Assert.Contains("\"content\":\"", await Sse.ReadBlockAsync(reader).WaitAsync(Patience), StringComparison.Ordinal);
            server.Time.Advance(TimeSpan.FromMilliseconds(100));
        }

        await Assert.ThrowsAnyAsync<IOException>(() => reader.ReadToEndAsync().WaitAsync(Patience));
        Assert.Equal(new Stats(1, 0, 0, 1), await server.WaitForStatsAsync(provider, s => s.Failed == 1));
    }

    [Fact]
    public async Task The_rate_window_reopens_after_a_minute()
    {
        var provider = await server.ProviderAsync("openai", new { requestsPerMinute = 1 });
        using var first = await server.Http.SendAsync(Chat(provider, stream: false));
        using var limited = await server.Http.SendAsync(Chat(provider, stream: false));

        server.Time.Advance(TimeSpan.FromMinutes(1));
        using var reopened = await server.Http.SendAsync(Chat(provider, stream: false));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal("60", limited.Headers.GetValues("Retry-After").Single());
        Assert.Equal(HttpStatusCode.OK, reopened.StatusCode);
    }
}
