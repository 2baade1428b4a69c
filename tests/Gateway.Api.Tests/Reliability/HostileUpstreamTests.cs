using System.Net;
using System.Text;
using Switchboard.Gateway.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Switchboard.Gateway.Tests.Reliability;

/// <summary>
/// Malformed and hostile upstream answers (truncated JSON, invalid SSE, endless streams, gigantic bodies, huge
/// headers, resets), for each provider type, become a clean 502 in the OpenAI shape, or, once a stream has started,
/// an OpenAI error event and no <c>[DONE]</c>; and what the gateway buffers stays bounded.
/// </summary>
[Collection(MemoryBoundCollection.Name)]
public sealed class HostileUpstreamTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly string[] Types = ["openai", "anthropic", "gemini"];

    private static readonly string[] Modes =
    [
        "ok", "truncated", "truncated-early", "notjson", "wrongshape", "binary", "giant-event", "endless", "gigantic",
        "prefirst", "giant-error", "giant-headers", "reset",
    ];

    private const long Bound = 200L * 1024 * 1024;

    private HostileUpstream _upstream = null!;
    private GatewayFactory _gateway = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _upstream = await HostileUpstream.StartAsync();
        var doc = new RoutingJson();
        foreach (var type in Types)
        {
            foreach (var mode in Modes)
            {
                var name = $"{mode}-{type}";
                doc.Provider(name, type, _upstream.BaseUrl(mode, type), "upstream-key")
                    .Route(name, [(name, "m")], attemptTimeoutMs: 6_000, maxAttempts: 1);
            }
        }
        _gateway = new GatewayFactory(doc.ToString());
        _http = _gateway.Http();
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        _gateway.Dispose();
        await _upstream.DisposeAsync();
    }

    public static TheoryData<string, string> NonStreaming()
    {
        var data = new TheoryData<string, string>();
        foreach (var type in Types)
        {
            foreach (var mode in new[] { "truncated", "truncated-early", "notjson", "binary", "endless", "gigantic", "giant-error", "giant-headers", "reset" })
            {
                data.Add(type, mode);
            }
        }
        data.Add("anthropic", "wrongshape");
        data.Add("gemini", "wrongshape");
        return data;
    }

    [Theory]
    [MemberData(nameof(NonStreaming))]
    public async Task A_broken_answer_is_a_502_in_the_OpenAI_shape_with_bounded_memory(string type, string mode)
    {
        var before = Settle();
        using var peak = new MemoryPeak();

        using var response = await _http.PostAsync("/v1/chat/completions", Body($"{mode}-{type}", stream: false));
        var body = await response.Content.ReadAsByteArrayAsync();

        peak.Dispose();
        output.WriteLine($"{type}/{mode}: {(int)response.StatusCode}; upstream sent {_upstream.BytesSent / 1048576.0:F1} MiB; " +
            $"managed heap peak +{(peak.PeakManaged - before) / 1048576.0:F1} MiB, working set peak +{peak.WorkingSetGrowth / 1048576.0:F1} MiB");
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.True(ErrorShape.IsOpenAIError(body), Encoding.UTF8.GetString(body));
        Assert.True(peak.PeakManaged - before < Bound, $"the managed heap grew by {(peak.PeakManaged - before) / 1048576.0:F1} MiB");
        Assert.True(peak.WorkingSetGrowth < Bound, $"the working set grew by {peak.WorkingSetGrowth / 1048576.0:F1} MiB");
    }

    /// <summary>Modes that break before the first token: nothing has been sent, so the client still gets a 502.</summary>
    public static TheoryData<string, string> BrokenBeforeTheFirstToken()
    {
        var data = new TheoryData<string, string>();
        foreach (var type in Types)
        {
            foreach (var mode in new[] { "truncated-early", "notjson", "wrongshape", "binary", "giant-event", "prefirst", "giant-error", "giant-headers", "reset" })
            {
                data.Add(type, mode);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(BrokenBeforeTheFirstToken))]
    public async Task A_stream_broken_before_its_first_token_is_a_502_with_bounded_memory(string type, string mode)
    {
        var before = Settle();
        using var peak = new MemoryPeak();
        var clock = System.Diagnostics.Stopwatch.StartNew();

        using var response = await _http.PostAsync("/v1/chat/completions", Body($"{mode}-{type}", stream: true));
        var body = await response.Content.ReadAsByteArrayAsync();

        peak.Dispose();
        output.WriteLine($"{type}/{mode} stream: {(int)response.StatusCode} in {clock.Elapsed.TotalSeconds:F1} s; upstream sent {_upstream.BytesSent / 1048576.0:F1} MiB; " +
            $"managed heap peak +{(peak.PeakManaged - before) / 1048576.0:F1} MiB, working set peak +{peak.WorkingSetGrowth / 1048576.0:F1} MiB; {ErrorShape.Short(Encoding.UTF8.GetString(body))}");
        // Keep-alive frames that never become a token are a timeout (504) unless they pile up (502).
        Assert.True(response.StatusCode == HttpStatusCode.BadGateway || (mode == "prefirst" && response.StatusCode == HttpStatusCode.GatewayTimeout), $"{(int)response.StatusCode}");
        Assert.True(ErrorShape.IsOpenAIError(body), Encoding.UTF8.GetString(body));
        Assert.True(peak.PeakManaged - before < Bound, $"the managed heap grew by {(peak.PeakManaged - before) / 1048576.0:F1} MiB");
        Assert.True(peak.WorkingSetGrowth < Bound, $"the working set grew by {peak.WorkingSetGrowth / 1048576.0:F1} MiB");
    }

    [Theory]
    [InlineData("openai", "truncated")]
    [InlineData("anthropic", "truncated")]
    [InlineData("gemini", "truncated")]
    [InlineData("openai", "endless")]
    [InlineData("anthropic", "endless")]
    [InlineData("gemini", "endless")]
    public async Task A_stream_broken_after_its_first_token_ends_with_an_error_event_and_no_DONE(string type, string mode)
    {
        var before = Settle();
        using var peak = new MemoryPeak();
        var clock = System.Diagnostics.Stopwatch.StartNew();

        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = Body($"{mode}-{type}", stream: true) };
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var (received, tail) = await ReadToTheEndAsync(response);

        peak.Dispose();
        var text = Encoding.UTF8.GetString(tail);
        output.WriteLine($"{type}/{mode} stream: {(int)response.StatusCode}, {received / 1048576.0:F1} MiB relayed in {clock.Elapsed.TotalSeconds:F1} s; " +
            $"managed heap peak +{(peak.PeakManaged - before) / 1048576.0:F1} MiB, working set peak +{peak.WorkingSetGrowth / 1048576.0:F1} MiB");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("\"stream_interrupted\"", text, StringComparison.Ordinal);
        Assert.DoesNotContain("[DONE]", text, StringComparison.Ordinal);
        Assert.True(peak.PeakManaged - before < Bound, $"the managed heap grew by {(peak.PeakManaged - before) / 1048576.0:F1} MiB");
        Assert.True(peak.WorkingSetGrowth < Bound, $"the working set grew by {peak.WorkingSetGrowth / 1048576.0:F1} MiB");
    }

    [Theory]
    [InlineData("openai")]
    [InlineData("anthropic")]
    [InlineData("gemini")]
    public async Task The_same_upstream_answering_properly_is_relayed(string type)
    {
        using var plain = await _http.PostAsync("/v1/chat/completions", Body($"ok-{type}", stream: false));
        var plainText = await plain.Content.ReadAsStringAsync();
        Assert.True(plain.StatusCode == HttpStatusCode.OK, plainText);
        Assert.Contains("Hi there", plainText, StringComparison.Ordinal);

        using var streamed = await _http.PostAsync("/v1/chat/completions", Body($"ok-{type}", stream: true));
        var text = await streamed.Content.ReadAsStringAsync();
        Assert.True(streamed.StatusCode == HttpStatusCode.OK, text);
        Assert.Contains("data: [DONE]", text, StringComparison.Ordinal);
    }

    private static async Task<(long Received, byte[] Tail)> ReadToTheEndAsync(HttpResponseMessage response)
    {
        await using var stream = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[64 * 1024];
        var tail = new MemoryStream();
        long received = 0;
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer)) > 0)
            {
                received += n;
                if (tail.Length > 256 * 1024)
                {
                    tail.SetLength(0);
                }
                tail.Write(buffer, 0, n);
            }
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException)
        {
            // The gateway aborts a broken stream after its error event: that is how SDKs learn it broke.
        }
        return (received, tail.ToArray());
    }

    private static StringContent Body(string model, bool stream) =>
        new($$"""{"model":"{{model}}","stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json");

    private static long Settle()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
