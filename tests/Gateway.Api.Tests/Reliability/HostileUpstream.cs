using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Switchboard.Gateway.Tests.Reliability;

/// <summary>
/// A misbehaving upstream on loopback Kestrel that speaks just enough of each protocol (OpenAI chat completions,
/// Anthropic messages, Gemini generateContent) to be believed, then breaks it. The first path segment picks the
/// misbehaviour: <c>/{mode}/v1/chat/completions</c>, <c>/{mode}/v1/messages</c>,
/// <c>/{mode}/v1beta/models/{m}:generateContent</c>. Every request is recorded (path and headers) for the security tests.
/// </summary>
public sealed class HostileUpstream : IAsyncDisposable
{
    public const long EndlessCap = 1L << 30;

    private readonly WebApplication _app;
    private long _bytesSent;

    private HostileUpstream(WebApplication app, string root)
    {
        _app = app;
        Root = root;
    }

    public string Root { get; }
    public long BytesSent => Interlocked.Read(ref _bytesSent);
    public ConcurrentQueue<(string Path, Dictionary<string, string> Headers)> Requests { get; } = new();

    /// <summary>The base URL a routing document gives a provider of <paramref name="type"/> in <paramref name="mode"/>.</summary>
    public string BaseUrl(string mode, string type) => type == "openai" ? $"{Root}/{mode}/v1" : $"{Root}/{mode}";

    public static async Task<HostileUpstream> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.WebHost.ConfigureKestrel(o => o.Limits.MaxResponseBufferSize = 1024 * 1024);
        var app = builder.Build();
        HostileUpstream? self = null;
        app.Run(ctx => self!.HandleAsync(ctx));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        self = new HostileUpstream(app, address);
        return self;
    }

    private async Task HandleAsync(HttpContext ctx)
    {
        var path = ctx.Request.Path.Value ?? "";
        Requests.Enqueue((path + ctx.Request.QueryString, ctx.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase)));
        using var reader = new StreamReader(ctx.Request.Body);
        var requestBody = await reader.ReadToEndAsync(ctx.RequestAborted);
        var mode = path.Split('/', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "";
        var type = path.EndsWith("/chat/completions", StringComparison.Ordinal) ? "openai"
            : path.EndsWith("/messages", StringComparison.Ordinal) ? "anthropic"
            : path.Contains(":generateContent", StringComparison.Ordinal) || path.Contains(":streamGenerateContent", StringComparison.Ordinal) ? "gemini"
            : "unknown";
        var stream = path.Contains(":streamGenerateContent", StringComparison.Ordinal) || requestBody.Contains("\"stream\":true", StringComparison.Ordinal);
        var key = ctx.Request.Headers.Authorization.ToString() + ctx.Request.Headers["x-api-key"] + ctx.Request.Headers["x-goog-api-key"];
        try
        {
            await (mode switch
            {
                "ok" => Ok(ctx, type, stream),
                "truncated" => stream ? Sse(ctx, [.. Token(type, "Hello"), .. Token(type, " wor")], end: false) : Json(ctx, 200, Completion(type)[..40]),
                "truncated-early" => stream ? Raw(ctx, "text/event-stream", "data: {\"id\":\"chatcmpl-1\",\"choi") : Json(ctx, 200, "{\"id\""),
                "notjson" => stream ? Sse(ctx, ["<html>upstream exploded</html>"], end: false) : Json(ctx, 200, "<html>upstream exploded</html>"),
                "wrongshape" => stream ? Sse(ctx, ["{\"unexpected\":[1,2,3]}", "[1,2]", "\"text\"", "42"], end: false) : Json(ctx, 200, "[1,2,3]"),
                "binary" => Endless(ctx, stream ? "text/event-stream" : "application/json", "", _ => RandomBlock(), 16L << 20),
                "giant-event" => Endless(ctx, "text/event-stream", "data: {\"x\":\"", _ => Repeat('a'), 64L << 20),
                "endless" => stream
                    ? Endless(ctx, "text/event-stream", StreamPrefix(type), _ => EndlessTokens(type), EndlessCap)
                    : Endless(ctx, "application/json", Completion(type)[..Completion(type).IndexOf("Hi", StringComparison.Ordinal)], _ => Repeat('a'), EndlessCap),
                "gigantic" => Gigantic(ctx, type),
                "prefirst" => Endless(ctx, "text/event-stream", StreamPrefix(type), _ => NoTokenFrames(type), EndlessCap),
                "giant-error" => Endless(ctx, "application/json", "{\"error\":{\"message\":\"", _ => Repeat('e'), EndlessCap, status: 500),
                "giant-headers" => GiantHeaders(ctx),
                "reset" => Reset(ctx),
                "echo401" => Json(ctx, 401, Error(type, $"Incorrect API key provided: {key}. You can find your API key at https://example.invalid.")),
                "echo400" => Json(ctx, 400, Error(type, $"Invalid request for key {key}: unsupported parameter.")),
                "echo500" => Json(ctx, 500, Error(type, $"Internal error while using key {key}.")),
                "echo-stream" => Sse(ctx, [.. Token(type, "Hi"), InStreamError(type, $"stream failed for key {key}")], end: false),
                _ => Json(ctx, 404, Error(type, "no such mode")),
            });
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            // The gateway gave up on us: that is the point.
        }
    }

    private static Task Ok(HttpContext ctx, string type, bool stream) =>
        stream ? Sse(ctx, [.. Token(type, "Hi"), .. Finish(type)], end: type == "openai") : Json(ctx, 200, Completion(type));

    private static async Task Json(HttpContext ctx, int status, string body)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        await ctx.Response.WriteAsync(body, ctx.RequestAborted);
    }

    private static async Task Raw(HttpContext ctx, string contentType, string body)
    {
        ctx.Response.ContentType = contentType;
        await ctx.Response.WriteAsync(body, ctx.RequestAborted);
    }

    private static async Task Sse(HttpContext ctx, IEnumerable<string> events, bool end)
    {
        ctx.Response.ContentType = "text/event-stream";
        foreach (var e in events)
        {
            await ctx.Response.WriteAsync(e.StartsWith("event:", StringComparison.Ordinal) ? e + "\n\n" : "data: " + e + "\n\n", ctx.RequestAborted);
            await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
        }
        if (end)
        {
            await ctx.Response.WriteAsync("data: [DONE]\n\n", ctx.RequestAborted);
        }
    }

    private async Task Endless(HttpContext ctx, string contentType, string prefix, Func<long, byte[]> block, long cap, int status = 200)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = contentType;
        ctx.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        await ctx.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(prefix), ctx.RequestAborted);
        long sent = 0;
        for (long i = 0; sent < cap && !ctx.RequestAborted.IsCancellationRequested; i++)
        {
            var b = block(i);
            await ctx.Response.Body.WriteAsync(b, ctx.RequestAborted);
            sent += b.Length;
            Interlocked.Add(ref _bytesSent, b.Length);
        }
    }

    private async Task Gigantic(HttpContext ctx, string type)
    {
        // A declared length of 1 GiB, all of it one JSON string.
        var head = Encoding.UTF8.GetBytes(Completion(type)[..Completion(type).IndexOf("Hi", StringComparison.Ordinal)]);
        ctx.Response.ContentLength = EndlessCap;
        await Endless(ctx, "application/json", "", i => i == 0 ? head : Repeat('g'), EndlessCap - head.Length - Block);
    }

    private static async Task GiantHeaders(HttpContext ctx)
    {
        for (var i = 0; i < 64; i++)
        {
            ctx.Response.Headers[$"x-filler-{i}"] = new string('h', 4096);
        }
        await Json(ctx, 200, "{}");
    }

    private static Task Reset(HttpContext ctx)
    {
        ctx.Abort();
        return Task.CompletedTask;
    }

    private const int Block = 64 * 1024;
    private static readonly byte[] As = Enumerable.Repeat((byte)'a', Block).ToArray();
    private static readonly byte[] Es = Enumerable.Repeat((byte)'e', Block).ToArray();
    private static readonly byte[] Gs = Enumerable.Repeat((byte)'g', Block).ToArray();

    private static byte[] Repeat(char c) => c switch { 'e' => Es, 'g' => Gs, _ => As };

    private static byte[] RandomBlock()
    {
        var b = new byte[Block];
        Random.Shared.NextBytes(b);
        // No line ends: one event that never finishes.
        for (var i = 0; i < b.Length; i++)
        {
            if (b[i] is (byte)'\n' or (byte)'\r')
            {
                b[i] = (byte)'x';
            }
        }
        return b;
    }

    private static readonly Dictionary<string, byte[]> TokenRepeats = new()
    {
        ["openai"] = Frames(Enumerable.Repeat(TokenChunk("openai", "lorem ipsum dolor sit amet "), 256)),
        ["anthropic"] = Frames(Enumerable.Repeat(TokenChunk("anthropic", "lorem ipsum dolor sit amet "), 256)),
        ["gemini"] = Frames(Enumerable.Repeat(TokenChunk("gemini", "lorem ipsum dolor sit amet "), 256)),
    };

    private static byte[] EndlessTokens(string type) => TokenRepeats[type];

    /// <summary>What a stream sends before its first token (Anthropic opens a message and a content block).</summary>
    private static string StreamPrefix(string type) => type == "anthropic"
        ? string.Concat(Token(type, "")[..2].Select(e => e + "\n\n"))
        : "";

    private static readonly ConcurrentDictionary<string, byte[]> NoTokenCache = new();

    private static byte[] NoTokenFrames(string type) => NoTokenCache.GetOrAdd(type, NoTokenFramesOf);

    private static byte[] NoTokenFramesOf(string type) => type switch
    {
        // Frames that are valid but carry no token: the gateway buffers these before the first token.
        "openai" => Frames(Enumerable.Repeat("{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}", 256)),
        "anthropic" => Frames(Enumerable.Repeat("event: ping\ndata: {\"type\":\"ping\"}", 1024)),
        _ => Frames(Enumerable.Repeat("{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[]},\"index\":0}]}", 256)),
    };

    private static byte[] Frames(IEnumerable<string> events) =>
        Encoding.UTF8.GetBytes(string.Concat(events.Select(e => e.StartsWith("event:", StringComparison.Ordinal) ? e + "\n\n" : "data: " + e + "\n\n")));

    private static string TokenChunk(string type, string text) => type switch
    {
        "openai" => $"{{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"{text}\"}},\"finish_reason\":null}}]}}",
        "anthropic" => $"event: content_block_delta\ndata: {{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{{\"type\":\"text_delta\",\"text\":\"{text}\"}}}}",
        _ => $"{{\"candidates\":[{{\"content\":{{\"role\":\"model\",\"parts\":[{{\"text\":\"{text}\"}}]}},\"index\":0}}],\"modelVersion\":\"m\"}}",
    };

    private static string[] Token(string type, string text) => type switch
    {
        "anthropic" =>
        [
            "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"m\",\"content\":[],\"usage\":{\"input_tokens\":1,\"output_tokens\":0}}}",
            "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}",
            TokenChunk(type, text),
        ],
        _ => [TokenChunk(type, text)],
    };

    private static string[] Finish(string type) => type switch
    {
        "openai" => ["{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1,\"total_tokens\":2}}"],
        "anthropic" =>
        [
            "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}",
            "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":1}}",
            "event: message_stop\ndata: {\"type\":\"message_stop\"}",
        ],
        _ => ["{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"\"}]},\"finishReason\":\"STOP\",\"index\":0}],\"usageMetadata\":{\"promptTokenCount\":1,\"candidatesTokenCount\":1,\"totalTokenCount\":2},\"modelVersion\":\"m\"}"],
    };

    private static string InStreamError(string type, string message) => type switch
    {
        "anthropic" => $"event: error\ndata: {{\"type\":\"error\",\"error\":{{\"type\":\"overloaded_error\",\"message\":\"{message}\"}}}}",
        _ => $"{{\"error\":{{\"message\":\"{message}\",\"type\":\"server_error\",\"code\":500,\"status\":\"INTERNAL\"}}}}",
    };

    /// <summary>A complete non-streaming answer in the protocol of <paramref name="type"/>; its text starts with "Hi".</summary>
    public static string Completion(string type) => type switch
    {
        "anthropic" => "{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"m\",\"content\":[{\"type\":\"text\",\"text\":\"Hi there\"}],\"stop_reason\":\"end_turn\",\"usage\":{\"input_tokens\":1,\"output_tokens\":2}}",
        "gemini" => "{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"Hi there\"}]},\"finishReason\":\"STOP\",\"index\":0}],\"usageMetadata\":{\"promptTokenCount\":1,\"candidatesTokenCount\":2,\"totalTokenCount\":3},\"modelVersion\":\"m\"}",
        _ => "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Hi there\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2,\"total_tokens\":3}}",
    };

    private static string Error(string type, string message) => type switch
    {
        "anthropic" => $"{{\"type\":\"error\",\"error\":{{\"type\":\"invalid_request_error\",\"message\":\"{message}\"}}}}",
        "gemini" => $"{{\"error\":{{\"code\":400,\"message\":\"{message}\",\"status\":\"INVALID_ARGUMENT\"}}}}",
        _ => $"{{\"error\":{{\"message\":\"{message}\",\"type\":\"invalid_request_error\",\"param\":null,\"code\":\"invalid_api_key\"}}}}",
    };

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
