using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Switchboard.Router.Tests.Infrastructure;

/// <summary>
/// A tiny OpenAI-compatible upstream on loopback Kestrel: answers <c>POST /v1/chat/completions</c> with a fixed
/// text and model, refuses any key but <see cref="AcceptedKey"/> with 401, or fails with <see cref="FailStatus"/>.
/// </summary>
public sealed class FakeProvider : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _requests;

    public string? AcceptedKey { get; set; }
    public string Answer { get; set; } = "OK";
    public string? ReportedModel { get; set; }
    public int? FailStatus { get; set; }
    public int Requests => _requests;
    public string BaseUrl { get; }

    private FakeProvider(WebApplication app, string baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    public static async Task<FakeProvider> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        FakeProvider? self = null;
        app.MapPost("/v1/chat/completions", async (HttpContext ctx) =>
        {
            var p = self!;
            Interlocked.Increment(ref p._requests);
            var body = await JsonNode.ParseAsync(ctx.Request.Body);
            var model = (string?)body?["model"] ?? "?";
            if (p.AcceptedKey is not null && ctx.Request.Headers.Authorization.ToString() != $"Bearer {p.AcceptedKey}")
            {
                return Results.Json(new { error = new { message = "invalid api key", type = "invalid_request_error" } }, statusCode: 401);
            }
            if (p.FailStatus is { } status)
            {
                return Results.Json(new { error = new { message = "failure", type = "server_error" } }, statusCode: status);
            }
            return Results.Json(new
            {
                id = "chatcmpl-1",
                @object = "chat.completion",
                model = p.ReportedModel ?? model,
                choices = new[] { new { index = 0, message = new { role = "assistant", content = p.Answer }, finish_reason = "stop" } },
                usage = new { prompt_tokens = 5, completion_tokens = 1, total_tokens = 6 },
            });
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        self = new FakeProvider(app, address + "/v1");
        return self;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
