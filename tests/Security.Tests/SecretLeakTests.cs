using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using OpenAI;
using OpenAI.Chat;
using Switchboard.Testing.Stack;
using Xunit.Abstractions;

namespace Switchboard.Security.Tests;

/// <summary>
/// After traffic of every kind (each provider type, streaming and not, provider 401s that echo the key, wrong and
/// missing gateway keys, bad requests, admin API calls), no provider key, gateway key, admin key or presented wrong
/// key appears in any process's output (Debug level), in the raw OTLP traces, metrics and logs, in any admin API
/// answer or in any error a client received; nor does a distinctive prompt string (bodies are never logged).
/// </summary>
[Collection(SecurityCollection.Name)]
public sealed class SecretLeakTests(SecurityStack fixture, ITestOutputHelper output)
{
    private static readonly string Run = Guid.NewGuid().ToString("N")[..10];
    private static readonly string Prompt = $"PROMPT-MARKER-{Run}-the-owl-flies-at-midnight";
    private static readonly string WrongGatewayKey = $"sk-wrong-gateway-{Run}";
    private static readonly string WrongAdminKey = $"wrong-admin-{Run}";

    private SwitchboardStack Stack => fixture.Stack;

    [Fact]
    public async Task No_key_nor_prompt_in_logs_OTLP_admin_APIs_or_client_errors()
    {
        var seen = new List<(string Where, string Text)>();
        var createdKey = await TrafficAsync(seen);

        // Let every exporter flush (1 s metric interval, 200 ms batch delays) and every consumer catch up.
        await WaitForTelemetryAsync();
        seen.AddRange(await AdminAnswersAsync());

        var secrets = fixture.ProviderKeys.Concat(
        [
            ("gateway key (routing document)", SwitchboardStack.GatewayKey),
            ("gateway key (created through the admin API)", createdKey),
            ("admin key", SwitchboardStack.AdminKey),
            ("wrong gateway key a client presented", WrongGatewayKey),
            ("wrong admin key a client presented", WrongAdminKey),
        ]).ToList();

        var places = new List<(string Where, byte[] Bytes)>();
        // Not the simulator: it plays the provider, which holds its keys by definition.
        foreach (var p in new[] { Stack.Metrics, Stack.Router }.Concat(Stack.Gateways))
        {
            places.Add(($"{p.Name} output", Encoding.UTF8.GetBytes(p.Output())));
        }
        foreach (var signal in OtlpReceiver.Signals)
        {
            var bodies = fixture.Otlp.Bodies(signal);
            places.Add(($"OTLP {signal} ({bodies.Count} exports)", [.. bodies.SelectMany(b => b)]));
        }
        places.AddRange(seen.Select(s => (s.Where, Encoding.UTF8.GetBytes(s.Text))));

        // The scan must have something to scan: Debug lines in every service, all three signals from each service.
        foreach (var p in new[] { Stack.Metrics, Stack.Router, Stack.Gateways[0] })
        {
            Assert.Contains("dbug:", p.Output(), StringComparison.Ordinal);
        }
        foreach (var signal in OtlpReceiver.Signals)
        {
            var bytes = places.Single(p => p.Where.StartsWith($"OTLP {signal} ", StringComparison.Ordinal)).Bytes;
            foreach (var service in new[] { "sb-gateway-a", "sb-router", "sb-metrics" })
            {
                Assert.True(Find(bytes, service) >= 0, $"no OTLP {signal} from {service}");
            }
        }
        // The echoing provider really was sent its key, and really put it in its 401 body.
        Assert.Contains(fixture.EchoUpstream.CredentialsSeen, c => c.Contains(fixture.EchoOpenAI.ApiKey, StringComparison.Ordinal));
        Assert.Contains(fixture.EchoUpstream.CredentialsSeen, c => c.Contains(fixture.EchoAnthropic.ApiKey, StringComparison.Ordinal));

        var leaks = new List<string>();
        foreach (var (what, secret) in secrets.Append(("prompt text", Prompt)))
        {
            var needle = Encoding.UTF8.GetBytes(secret);
            foreach (var (where, bytes) in places)
            {
                if (what == "prompt text" && where.StartsWith("client", StringComparison.Ordinal))
                {
                    continue; // a client may be shown its own input; only logs, telemetry and admin APIs may not hold it
                }
                var at = Find(bytes, needle);
                if (at >= 0)
                {
                    leaks.Add($"{what} in {where}: …{Context(bytes, at, needle.Length)}…");
                }
            }
        }
        output.WriteLine($"scanned {places.Count} places ({places.Sum(p => (long)p.Bytes.Length):N0} bytes) for {secrets.Count} secrets and the prompt");
        foreach (var p in places)
        {
            output.WriteLine($"  {p.Where}: {p.Bytes.Length:N0} bytes");
        }
        Assert.True(leaks.Count == 0, "secrets found:\n" + string.Join("\n", leaks));
    }

    /// <summary>Traffic of every kind; returns the gateway key created through the admin API.</summary>
    private async Task<string> TrafficAsync(List<(string Where, string Text)> seen)
    {
        using var admin = AdminClient(fixture.Stack.Router.BaseAddress, SwitchboardStack.AdminKey);
        using var createResponse = await admin.PostAsJsonAsync("/api/keys", new { name = $"leak-{Run}" });
        Assert.Equal(HttpStatusCode.Created, createResponse.StatusCode);
        var createdKey = (await createResponse.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!;

        var gateway = Stack.Gateways[0].BaseAddress;
        // Successful traffic on every provider type, both ways, through the official SDK.
        foreach (var model in new[] { "chat", SecurityStack.Beta.Name, SecurityStack.Gamma.Name, $"{SecurityStack.Beta.Name}/{SecurityStack.Beta.Model}" })
        {
            var chat = Sdk(gateway, model, SwitchboardStack.GatewayKey);
            var answer = await chat.CompleteChatAsync([new UserChatMessage(Prompt)]);
            Assert.False(string.IsNullOrEmpty(answer.Value.Content[0].Text));
            await foreach (var _ in chat.CompleteChatStreamingAsync([new UserChatMessage(Prompt)]))
            {
            }
        }

        // The key created through the admin API works once the gateways have picked it up.
        using var raw = new HttpClient { BaseAddress = gateway, Timeout = TimeSpan.FromSeconds(30) };
        var deadline = DateTime.UtcNow.AddSeconds(30);
        HttpStatusCode status;
        do
        {
            using var r = await SendAsync(raw, "chat", createdKey);
            status = r.StatusCode;
            if (status != HttpStatusCode.OK)
            {
                await Task.Delay(250);
            }
        }
        while (status != HttpStatusCode.OK && DateTime.UtcNow < deadline);
        Assert.Equal(HttpStatusCode.OK, status);

        // Errors a client sees: each kept for the scan.
        foreach (var echo in new[] { fixture.EchoOpenAI, fixture.EchoAnthropic })
        {
            foreach (var stream in new[] { false, true })
            {
                using var r = await SendAsync(raw, echo.Name, SwitchboardStack.GatewayKey, stream);
                Assert.True((int)r.StatusCode >= 400, $"{echo.Name} answered {(int)r.StatusCode}");
                seen.Add(($"client error from {echo.Name} (stream {stream}, {(int)r.StatusCode})", await r.Content.ReadAsStringAsync()));
            }
            try
            {
                await Sdk(gateway, echo.Name, SwitchboardStack.GatewayKey).CompleteChatAsync([new UserChatMessage(Prompt)]);
                Assert.Fail($"{echo.Name} did not fail");
            }
            catch (ClientResultException ex)
            {
                seen.Add(($"client SDK exception from {echo.Name}", ex.ToString()));
            }
        }
        foreach (var (key, name) in new[] { (WrongGatewayKey, "wrong key"), ("", "no key") })
        {
            using var r = await SendAsync(raw, "chat", key);
            Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
            seen.Add(($"client error for {name}", await r.Content.ReadAsStringAsync()));
        }
        foreach (var (body, name) in new[]
        {
            ($$"""{"model":"chat","messages":[{"role":"user","content":"{{Prompt}}"}""", "truncated JSON"),
            ($$"""{"model":"chat","messages":"{{Prompt}}"}""", "messages a string"),
            ($$"""{"model":"no-such-model-{{Run}}","messages":[{"role":"user","content":"{{Prompt}}"}]}""", "unknown model"),
        })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", SwitchboardStack.GatewayKey);
            using var r = await raw.SendAsync(request);
            Assert.True((int)r.StatusCode is >= 400 and < 500, $"{name}: {(int)r.StatusCode}");
            seen.Add(($"client error for {name}", await r.Content.ReadAsStringAsync()));
        }
        // Wrong admin key on both admin APIs.
        foreach (var service in new[] { Stack.Router, Stack.Metrics })
        {
            using var wrong = AdminClient(service.BaseAddress, WrongAdminKey);
            using var r = await wrong.GetAsync(service == Stack.Router ? "/api/keys" : "/api/requests");
            Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
            seen.Add(($"client error for a wrong admin key on {service.Name}", await r.Content.ReadAsStringAsync()));
        }
        return createdKey;
    }

    /// <summary>Every read of both admin APIs, after the traffic has been recorded.</summary>
    private async Task<List<(string Where, string Text)>> AdminAnswersAsync()
    {
        var answers = new List<(string, string)>();
        using var router = AdminClient(Stack.Router.BaseAddress, SwitchboardStack.AdminKey);
        using var metrics = AdminClient(Stack.Metrics.BaseAddress, SwitchboardStack.AdminKey);
        var from = Uri.EscapeDataString(DateTimeOffset.UtcNow.AddHours(-1).ToString("O"));
        var to = Uri.EscapeDataString(DateTimeOffset.UtcNow.AddMinutes(5).ToString("O"));
        var requestIds = new List<string>();
        foreach (var (client, path) in new[]
        {
            (router, "/api/health"), (router, "/api/alerts"), (router, "/api/keys"), (router, "/api/quality"),
            (router, "/api/routing/current"), (router, "/api/routing/versions"),
            (metrics, $"/api/requests?from={from}&to={to}&limit=1000"), (metrics, $"/api/sla?from={from}&to={to}&groupBy=key"),
            (metrics, $"/api/sla?from={from}&to={to}&groupBy=provider"), (metrics, $"/api/cost?from={from}&to={to}"),
            (metrics, "/api/slo"), (metrics, "/api/slo/alerts"), (metrics, $"/api/timeseries?from={from}&to={to}"),
            (metrics, "/api/cascade"),
        })
        {
            using var r = await client.GetAsync(path);
            var text = await r.Content.ReadAsStringAsync();
            output.WriteLine($"{client.BaseAddress}{path.Split('?')[0]}: {(int)r.StatusCode}, {text.Length} chars");
            answers.Add(($"admin API {path.Split('?')[0]} ({(int)r.StatusCode})", text));
            if (path.StartsWith("/api/requests", StringComparison.Ordinal) && r.IsSuccessStatusCode)
            {
                requestIds.AddRange(RequestIds(text));
            }
        }
        Assert.NotEmpty(requestIds);
        foreach (var id in requestIds.Distinct().Take(40))
        {
            using var r = await metrics.GetAsync($"/api/requests/{Uri.EscapeDataString(id)}");
            answers.Add(($"admin API /api/requests/{{id}} ({(int)r.StatusCode})", await r.Content.ReadAsStringAsync()));
        }
        return answers;
    }

    private static IEnumerable<string> RequestIds(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var rows = doc.RootElement.ValueKind == JsonValueKind.Array ? doc.RootElement
            : doc.RootElement.TryGetProperty("items", out var items) ? items
            : doc.RootElement.TryGetProperty("requests", out var requests) ? requests : default;
        if (rows.ValueKind != JsonValueKind.Array)
        {
            yield break;
        }
        foreach (var row in rows.EnumerateArray())
        {
            if (row.TryGetProperty("requestId", out var id) && id.GetString() is { } s)
            {
                yield return s;
            }
        }
    }

    private async Task WaitForTelemetryAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        var before = OtlpReceiver.Signals.Sum(s => fixture.Otlp.Bodies(s).Count);
        await Task.Delay(3000);
        while (DateTime.UtcNow < deadline && OtlpReceiver.Signals.Any(s => !fixture.Otlp.Bodies(s).Any(b => b.AsSpan().IndexOf("sb-metrics"u8) >= 0)))
        {
            await Task.Delay(250);
        }
        output.WriteLine($"OTLP exports: {string.Join(", ", OtlpReceiver.Signals.Select(s => $"{s} {fixture.Otlp.Bodies(s).Count}"))} ({before} before the wait)");
    }

    private static ChatClient Sdk(Uri gateway, string model, string key) => new(model, new ApiKeyCredential(key), new OpenAIClientOptions
    {
        Endpoint = new Uri(gateway, "/v1"),
        NetworkTimeout = TimeSpan.FromSeconds(30),
        RetryPolicy = new ClientRetryPolicy(0),
    });

    private static Task<HttpResponseMessage> SendAsync(HttpClient http, string model, string key, bool stream = false)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = JsonContent.Create(new { model, stream, messages = new[] { new { role = "user", content = Prompt } } }),
        };
        if (key.Length > 0)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }
        return http.SendAsync(request);
    }

    private static HttpClient AdminClient(Uri baseAddress, string key)
    {
        var client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    private static int Find(byte[] haystack, string needle) => Find(haystack, Encoding.UTF8.GetBytes(needle));

    private static int Find(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle);

    private static string Context(byte[] bytes, int at, int length)
    {
        var start = Math.Max(0, at - 80);
        var end = Math.Min(bytes.Length, at + length + 80);
        return Encoding.UTF8.GetString(bytes, start, end - start).ReplaceLineEndings(" ");
    }
}
