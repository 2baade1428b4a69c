using System.Text;
using Microsoft.AspNetCore.Http;
using Switchboard.Gateway.Tests.Infrastructure;

namespace Switchboard.Gateway.Tests.Apis;

/// <summary>The client's W3C trace context reaches the provider, though the gateway exports no traces of its own.</summary>
public sealed class TraceContextTests : IAsyncLifetime
{
    private ScriptedUpstream _upstream = null!;
    private GatewayFactory _gateway = null!;

    public async Task InitializeAsync()
    {
        _upstream = await ScriptedUpstream.StartAsync();
        _gateway = _upstream.Gateway();
    }

    public async Task DisposeAsync()
    {
        _gateway.Dispose();
        await _upstream.DisposeAsync();
    }

    [Theory]
    [InlineData("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "vendor=opaque")]
    [InlineData(null, null)]
    public async Task Traceparent_and_tracestate_are_forwarded_as_the_client_sent_them(string? traceParent, string? traceState)
    {
        string? seenParent = null, seenState = null;
        _upstream.Handler = async ctx =>
        {
            seenParent = ctx.Request.Headers["traceparent"].ToString();
            seenState = ctx.Request.Headers["tracestate"].ToString();
            ctx.Response.ContentType = "application/json";
            await ctx.Response.WriteAsync("""{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}""");
        };

        using var http = _gateway.Http();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent("""{"model":"chat","messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"),
        };
        if (traceParent is not null)
        {
            request.Headers.TryAddWithoutValidation("traceparent", traceParent);
            request.Headers.TryAddWithoutValidation("tracestate", traceState);
        }
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        Assert.Equal(traceParent ?? "", seenParent);
        Assert.Equal(traceState ?? "", seenState);
    }
}
