using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Switchboard.Testing.Stack;
using Xunit.Abstractions;

namespace Switchboard.Security.Tests;

/// <summary>
/// No request can make the gateway contact a host of its choosing: model names with a URL or host in them,
/// provider/model with a host, base-URL fields in the body and headers that name a host (Host, X-Forwarded-Host,
/// Forwarded, custom-host headers other gateways honour) are each sent to both replicas, and a listener on that
/// host must see no connection. Every answer is a 2xx from a configured provider or a 4xx; never a 5xx.
/// </summary>
[Collection(SecurityCollection.Name)]
public sealed class UpstreamHostTests(SecurityStack fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task Request_controlled_hosts_are_never_contacted()
    {
        var evil = $"127.0.0.1:{fixture.Evil.Port}";
        // The listener does count: one connection of our own.
        using (var probe = new TcpClient())
        {
            await probe.ConnectAsync("127.0.0.1", fixture.Evil.Port);
        }
        await WaitUntilAsync(() => fixture.Evil.Accepted == 1);
        var baseline = fixture.Evil.Accepted;

        var models = new[]
        {
            $"http://{evil}/v1", $"http://{evil}/v1/chat/completions", evil, $"//{evil}/x", $"http://{evil}",
            $"alpha/http://{evil}/x", $"{SwitchboardStack.Provider}@{evil}/gpt-4o", $"http://{SwitchboardStack.Provider}@{evil}/x",
            $"{SwitchboardStack.Provider}/../../{evil}/v1", $"{evil}/{SwitchboardStack.Model}", $"evil/{SwitchboardStack.Model}",
            $"openai/{SwitchboardStack.Model}?base_url=http://{evil}", $"{SwitchboardStack.Provider}/http:%2F%2F{evil}",
            $"https://{evil}/alpha/v1#chat", $"{SwitchboardStack.Provider}\r\nHost: {evil}",
        };
        var headers = new (string Name, string Value)[]
        {
            ("X-Forwarded-Host", evil), ("X-Forwarded-Proto", "http"), ("Forwarded", $"host={evil};proto=http"),
            ("X-Original-Host", evil), ("X-Host", evil), ("X-Forwarded-Server", evil),
            ("x-portkey-custom-host", $"http://{evil}/v1"), ("x-switchboard-base-url", $"http://{evil}/v1"),
            ("x-base-url", $"http://{evil}/v1"), ("x-upstream", $"http://{evil}/v1"), ("x-provider-url", $"http://{evil}/v1"),
        };
        var bodyFields = new[] { "base_url", "baseUrl", "api_base", "endpoint", "url", "custom_host", "provider_url" };

        var answers = new List<string>();
        foreach (var gateway in fixture.Stack.Gateways)
        {
            using var http = new HttpClient { BaseAddress = gateway.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
            foreach (var model in models)
            {
                answers.Add(await SendAsync(http, $"model {Show(model)}", Body(model), []));
            }
            foreach (var header in headers)
            {
                answers.Add(await SendAsync(http, $"header {header.Name}", Body("chat"), [header]));
            }
            answers.Add(await SendAsync(http, "Host header", Body("chat"), [], host: evil));
            foreach (var field in bodyFields)
            {
                answers.Add(await SendAsync(http, $"body field {field}",
                    $$"""{"model":"chat","{{field}}":"http://{{evil}}/v1","messages":[{"role":"user","content":"hi"}]}""", []));
            }
            // provider options smuggled per message and in extra_body-style objects
            answers.Add(await SendAsync(http, "extra_body",
                $$"""{"model":"chat","extra_body":{"base_url":"http://{{evil}}/v1"},"provider":{"baseUrl":"http://{{evil}}/v1"},"messages":[{"role":"user","content":"hi"}]}""", []));
        }
        foreach (var a in answers)
        {
            output.WriteLine(a);
        }

        // A connection attempt the gateway makes may land a moment after its answer.
        await Task.Delay(1000);
        Assert.Equal(baseline, fixture.Evil.Accepted);
        Assert.DoesNotContain(answers, a => a.Contains(" -> 5", StringComparison.Ordinal) || a.Contains(" -> 0", StringComparison.Ordinal));
        // The header and body cases were served, by the configured provider.
        Assert.Contains(answers, a => a.StartsWith("header X-Forwarded-Host -> 200 from alpha", StringComparison.Ordinal));
        Assert.Contains(answers, a => a.StartsWith("Host header -> 200 from alpha", StringComparison.Ordinal));
    }

    private static string Body(string model) =>
        $$"""{"model":{{System.Text.Json.JsonSerializer.Serialize(model)}},"messages":[{"role":"user","content":"hi"}]}""";

    private static string Show(string s) => s.Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    private static async Task<string> SendAsync(HttpClient http, string what, string body, (string Name, string Value)[] headers, string? host = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", SwitchboardStack.GatewayKey);
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        if (host is not null)
        {
            request.Headers.Host = host;
        }
        try
        {
            using var response = await http.SendAsync(request);
            var provider = response.Headers.TryGetValues("x-switchboard-provider", out var p) ? string.Join(",", p) : "-";
            var text = await response.Content.ReadAsStringAsync();
            return $"{what} -> {(int)response.StatusCode} from {provider}: {text[..Math.Min(160, text.Length)]}";
        }
        catch (HttpRequestException ex)
        {
            return $"{what} -> 0 (no answer: {ex.Message})";
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (!condition() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }
    }
}
