using System.Collections.Concurrent;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Switchboard.Testing;
using Switchboard.Testing.Stack;

namespace Switchboard.Security.Tests;

/// <summary>
/// The whole of Switchboard on loopback (see <see cref="SwitchboardStack"/>), every service logging at Debug and
/// exporting traces, metrics and logs over OTLP/HTTP protobuf to <see cref="Otlp"/>, with distinctive provider keys
/// for each provider type, two providers served by <see cref="EchoUpstream"/> (a provider that answers 401 echoing
/// the credential it was sent), and an <see cref="Evil"/> listener no request may ever make the gateway reach.
/// </summary>
public sealed class SecurityStack : IAsyncLifetime
{
    private static readonly string Run = Guid.NewGuid().ToString("N")[..10];

    public static readonly ExtraProvider Beta = new("beta", "anthropic", "claude-3-5-sonnet-20241022", $"beta-anthropic-secret-{Run}");
    public static readonly ExtraProvider Gamma = new("gamma", "gemini", "gemini-2.0-flash-001", $"gamma-gemini-secret-{Run}");

    /// <summary>gateway-b's Kestrel limits (gateway-a keeps the defaults), tight so that the slow-client tests take seconds.</summary>
    public static readonly TimeSpan HeadersTimeout = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(3);
    public const int MaxConnections = 60;

    public static IReadOnlyDictionary<string, string> SlowClientLimits { get; } = new Dictionary<string, string>
    {
        ["Kestrel__Limits__RequestHeadersTimeout"] = HeadersTimeout.ToString("c", System.Globalization.CultureInfo.InvariantCulture),
        ["Kestrel__Limits__KeepAliveTimeout"] = KeepAlive.ToString("c", System.Globalization.CultureInfo.InvariantCulture),
        ["Kestrel__Limits__MaxConcurrentConnections"] = MaxConnections.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    public SecurityStack()
    {
        Otlp = new OtlpReceiver();
        EchoUpstream = new EchoUpstream();
        Evil = new CountingListener();
        EchoOpenAI = new("echo", "openai", "gpt-4o-2024-08-06", $"echo-openai-secret-{Run}", $"{EchoUpstream.BaseAddress}v1");
        EchoAnthropic = new("echoant", "anthropic", "claude-3-5-sonnet-20241022", $"echoant-anthropic-secret-{Run}", EchoUpstream.BaseAddress.ToString().TrimEnd('/'));
    }

    public OtlpReceiver Otlp { get; }
    public EchoUpstream EchoUpstream { get; }
    public CountingListener Evil { get; }
    public ExtraProvider EchoOpenAI { get; }
    public ExtraProvider EchoAnthropic { get; }
    public SwitchboardStack Stack { get; private set; } = null!;
    public StringBuilder StartupLog { get; } = new();

    /// <summary>Every provider credential of the routing document.</summary>
    public IEnumerable<(string What, string Secret)> ProviderKeys =>
    [
        ("alpha provider key", Stack.CurrentProviderKey),
        ("beta (anthropic) provider key", Beta.ApiKey),
        ("gamma (gemini) provider key", Gamma.ApiKey),
        ("echo (openai) provider key", EchoOpenAI.ApiKey),
        ("echoant (anthropic) provider key", EchoAnthropic.ApiKey),
    ];

    public async Task InitializeAsync()
    {
        await Otlp.StartAsync();
        await EchoUpstream.StartAsync();
        Evil.Start();
        var options = new StackOptions
        {
            LogLevel = "Debug",
            Environment = new Dictionary<string, string>
            {
                ["OTEL_EXPORTER_OTLP_ENDPOINT"] = Otlp.BaseAddress.ToString().TrimEnd('/'),
                ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
                ["OTEL_METRIC_EXPORT_INTERVAL"] = "1000",
                ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
                ["OTEL_BLRP_SCHEDULE_DELAY"] = "200",
                // The noisiest framework categories at Debug as well: nothing is filtered away from the scan.
                ["Logging__LogLevel__Microsoft"] = "Debug",
                ["Logging__LogLevel__System"] = "Debug",
            },
            // A service name of its own each, to tell whose telemetry arrived.
            ServiceEnvironment = new[] { "gateway-a", "gateway-b", "router", "metrics" }.ToDictionary(
                n => n, n => (IReadOnlyDictionary<string, string>)new Dictionary<string, string>(n == "gateway-b" ? SlowClientLimits : new Dictionary<string, string>())
                {
                    ["OTEL_SERVICE_NAME"] = "sb-" + n,
                }),
            ExtraProviders = [Beta, Gamma, EchoOpenAI, EchoAnthropic],
        };
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        Stack = await SwitchboardStack.StartAsync(options, line => StartupLog.AppendLine(line), timeout.Token);
    }

    public async Task DisposeAsync()
    {
        if (Stack is not null)
        {
            await Stack.DisposeAsync();
        }
        await Otlp.DisposeAsync();
        await EchoUpstream.DisposeAsync();
        Evil.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class SecurityCollection : ICollectionFixture<SecurityStack>
{
    public const string Name = "security stack";
}

/// <summary>
/// An OTLP/HTTP receiver: accepts POST /v1/traces, /v1/metrics and /v1/logs (protobuf, gzip or not) and keeps every
/// body's raw bytes, uninterpreted, per signal.
/// </summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, ConcurrentQueue<byte[]>> _bodies = new(StringComparer.Ordinal);
    private WebApplication? _app;

    public OtlpReceiver() => BaseAddress = new Uri($"http://127.0.0.1:{FreePort.Next()}/");

    public Uri BaseAddress { get; }

    public static readonly string[] Signals = ["traces", "metrics", "logs"];

    public IReadOnlyList<byte[]> Bodies(string signal) =>
        _bodies.TryGetValue(signal, out var q) ? [.. q] : [];

    public async Task StartAsync()
    {
        _app = Minimal.Create(BaseAddress);
        foreach (var signal in Signals)
        {
            _app.MapPost("/v1/" + signal, async (HttpContext context) =>
            {
                using var buffer = new MemoryStream();
                var body = context.Request.Headers.ContentEncoding.ToString().Contains("gzip", StringComparison.OrdinalIgnoreCase)
                    ? new GZipStream(context.Request.Body, CompressionMode.Decompress)
                    : context.Request.Body;
                await body.CopyToAsync(buffer, context.RequestAborted);
                _bodies.GetOrAdd(signal, _ => new()).Enqueue(buffer.ToArray());
                // An empty Export*ServiceResponse: full success.
                context.Response.ContentType = "application/x-protobuf";
                return Results.Bytes([], "application/x-protobuf");
            });
        }
        await _app.StartAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}

/// <summary>
/// A provider that refuses every call with 401 and quotes the credential it was sent in full, as some providers and
/// proxies do (OpenAI quotes a key in part; a header-dumping proxy quotes it all). Records what it received.
/// </summary>
public sealed class EchoUpstream : IAsyncDisposable
{
    private WebApplication? _app;
    private int _requests;

    public EchoUpstream() => BaseAddress = new Uri($"http://127.0.0.1:{FreePort.Next()}/");

    public Uri BaseAddress { get; }
    public int Requests => Volatile.Read(ref _requests);
    public ConcurrentQueue<string> CredentialsSeen { get; } = new();

    public async Task StartAsync()
    {
        _app = Minimal.Create(BaseAddress);
        _app.MapPost("/{**path}", (HttpContext context) =>
        {
            Interlocked.Increment(ref _requests);
            var h = context.Request.Headers;
            var sent = string.Join(" ", new[] { h.Authorization.ToString(), h["x-api-key"].ToString(), h["x-goog-api-key"].ToString() }.Where(v => v.Length > 0));
            CredentialsSeen.Enqueue(sent);
            var message = $"Incorrect API key provided: {sent}. Request headers: authorization={h.Authorization}; x-api-key={h["x-api-key"]}";
            object body = context.Request.Path.Value!.EndsWith("/messages", StringComparison.Ordinal)
                ? new { type = "error", error = new { type = "authentication_error", message } }
                : new { error = new { message, type = "invalid_request_error", param = (string?)null, code = "invalid_api_key" } };
            return Results.Json(body, statusCode: StatusCodes.Status401Unauthorized);
        });
        await _app.StartAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}

/// <summary>A TCP listener that only counts the connections it is offered (a host the gateway must never contact).</summary>
public sealed class CountingListener : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private int _accepted;

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;
    public int Accepted => Volatile.Read(ref _accepted);

    public void Start()
    {
        _listener.Start();
        _ = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    using var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                    Interlocked.Increment(ref _accepted);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                catch (SocketException)
                {
                    return;
                }
            }
        });
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _listener.Dispose();
        _stop.Dispose();
    }
}

internal static class Minimal
{
    public static WebApplication Create(Uri address)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(address.ToString().TrimEnd('/'));
        return builder.Build();
    }
}
