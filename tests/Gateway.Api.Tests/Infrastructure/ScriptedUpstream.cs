using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Switchboard.Gateway.Tests.Infrastructure;

/// <summary>
/// An upstream on loopback Kestrel whose answer each test writes itself (timing included): every request to it
/// runs <see cref="Handler"/>. Unbuffered, so what the handler flushes is on the wire at once.
/// </summary>
public sealed class ScriptedUpstream : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ScriptedUpstream(WebApplication app, string root)
    {
        _app = app;
        Root = root;
    }

    /// <summary>http://127.0.0.1:PORT</summary>
    public string Root { get; }

    /// <summary>Answers every request; set by the test before it sends one.</summary>
    public Func<HttpContext, Task> Handler { get; set; } = ctx =>
    {
        ctx.Response.StatusCode = 404;
        return Task.CompletedTask;
    };

    /// <summary>
    /// A gateway in front of this upstream: provider <c>up</c> (openai type, key <c>upstream-key</c>) and one route
    /// <c>chat</c> to <c>gpt-4o-2024-08-06</c> with a single attempt.
    /// </summary>
    public GatewayFactory Gateway(int attemptTimeoutMs = 10_000, Dictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null) =>
        new(new RoutingJson()
                .Provider("up", "openai", Root + "/v1", "upstream-key")
                .Route("chat", [("up", "gpt-4o-2024-08-06")], maxAttempts: 1, attemptTimeoutMs: attemptTimeoutMs)
                .ToString(),
            settings, services);

    public static async Task<ScriptedUpstream> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        ScriptedUpstream? self = null;
        app.Run(ctx =>
        {
            ctx.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
            return self!.Handler(ctx);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        self = new ScriptedUpstream(app, address);
        return self;
    }

    /// <summary>Writes one SSE <c>data:</c> frame and flushes it onto the wire.</summary>
    public static async Task WriteFrameAsync(HttpContext ctx, string data)
    {
        await ctx.Response.WriteAsync("data: " + data + "\n\n", ctx.RequestAborted);
        await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
    }

    /// <summary>An OpenAI <c>chat.completion.chunk</c> carrying <paramref name="text"/>.</summary>
    public static string OpenAIChunk(string text, string? finish = null) =>
        "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o-2024-08-06\",\"choices\":[{\"index\":0,\"delta\":{\"content\":"
        + System.Text.Json.JsonSerializer.Serialize(text) + "},\"finish_reason\":" + (finish is null ? "null" : "\"" + finish + "\"") + "}]}";

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
