using System.Text;
using System.Text.Json;
using Switchboard.Gateway.Providers;
using Switchboard.Gateway.Tests.Infrastructure;
using Switchboard.Gateway.Tests.Reliability;

namespace Switchboard.Gateway.Tests.Providers;

public sealed class SecretRedactorTests
{
    private static readonly ProviderEndpoint Endpoint = new("up", "openai", new Uri("http://127.0.0.1:1/v1"), "plainkey-4f9c2a",
        new Dictionary<string, string> { ["x-org-token"] = "org-token-value-77" });

    [Theory]
    [InlineData("Incorrect API key provided: plainkey-4f9c2a.", "plainkey-4f9c2a")]
    [InlineData("header x-org-token was org-token-value-77", "org-token-value-77")]
    [InlineData("Authorization: Bearer abcdefgh12345678 refused", "abcdefgh12345678")]
    [InlineData("bad key sk-proj-AbCdEfGhIjKlMnOpQrStUv", "sk-proj-AbCdEfGhIjKlMnOpQrStUv")]
    [InlineData("bad key sk-ant-api03-AbCdEfGhIjKlMnOpQrSt-xyz", "sk-ant-api03-AbCdEfGhIjKlMnOpQrSt-xyz")]
    [InlineData("API key not valid: AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUv", "AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUv")]
    [InlineData("GET /v1beta/models/x:generateContent?alt=sse&key=s3cr3tQueryKey failed", "s3cr3tQueryKey")]
    [InlineData("{\"x-api-key\": \"someAnthropicKey123\"}", "someAnthropicKey123")]
    public void A_credential_or_anything_shaped_like_a_key_is_masked(string text, string secret)
    {
        var redacted = SecretRedactor.Redact(text, Endpoint);
        Assert.DoesNotContain(secret, redacted, StringComparison.Ordinal);
        Assert.Contains(SecretRedactor.Mask, redacted, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("max_tokens is too large: 100000. This model supports at most 4096 completion tokens.")]
    [InlineData("The model `gpt-4o-2024-08-06` does not exist or you do not have access to it.")]
    [InlineData("messages.1.content: task-oriented prompts must not be empty")]
    public void Ordinary_error_text_is_left_as_it_is(string text) =>
        Assert.Equal(text, SecretRedactor.Redact(text, Endpoint));
}

/// <summary>Upstreams that echo the key they were sent, through the gateway: the client and the outcome event never see it.</summary>
public sealed class EchoedCredentialTests : IAsyncLifetime
{
    private const string ProviderKey = "sk-live-9f8e7d6c5b4a3f2e1d0c";
    private static readonly string[] Types = ["openai", "anthropic", "gemini"];
    private readonly CapturingOutcomeSink _outcomes = new();
    private HostileUpstream _upstream = null!;
    private GatewayFactory _gateway = null!;

    public async Task InitializeAsync()
    {
        _upstream = await HostileUpstream.StartAsync();
        var doc = new RoutingJson();
        foreach (var type in Types)
        {
            foreach (var mode in new[] { "echo400", "echo401", "echo500", "echo-stream" })
            {
                var name = $"{mode}-{type}";
                doc.Provider(name, type, _upstream.BaseUrl(mode, type), ProviderKey).Route(name, [(name, "m")], maxAttempts: 1);
            }
        }
        _gateway = new GatewayFactory(doc.ToString(), services: _outcomes.Install);
    }

    public async Task DisposeAsync()
    {
        _gateway.Dispose();
        await _upstream.DisposeAsync();
    }

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var type in Types)
        {
            foreach (var mode in new[] { "echo400", "echo401", "echo500", "echo-stream" })
            {
                data.Add(type, mode);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task The_key_an_upstream_echoes_reaches_neither_the_client_nor_the_outcome_event(string type, string mode)
    {
        using var http = _gateway.Http();
        var requestId = $"echo-{type}-{mode}";
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent(JsonSerializer.Serialize(new
            {
                model = $"{mode}-{type}",
                stream = mode == "echo-stream",
                messages = new[] { new { role = "user", content = "hi" } },
            }), Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("x-request-id", requestId);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var text = new StringBuilder();
        await using (var stream = await response.Content.ReadAsStreamAsync())
        {
            var buffer = new byte[4096];
            try
            {
                int n;
                while ((n = await stream.ReadAsync(buffer)) > 0)
                {
                    text.Append(Encoding.UTF8.GetString(buffer, 0, n));
                }
            }
            catch (Exception ex) when (ex is IOException or HttpRequestException)
            {
                // A broken stream ends in an abort after the error event; what arrived before it is what counts.
            }
        }
        var body = text.ToString();

        Assert.True(_upstream.Requests.Any(r => r.Headers.Values.Any(v => v.Contains(ProviderKey, StringComparison.Ordinal))
            || r.Path.Contains(ProviderKey, StringComparison.Ordinal)), "the upstream was sent the key (else the test proves nothing)");
        Assert.DoesNotContain(ProviderKey, body, StringComparison.Ordinal);
        Assert.Contains("\"error\"", body, StringComparison.Ordinal);
        if (mode != "echo-stream")
        {
            Assert.False(response.IsSuccessStatusCode);
        }
        var events = await _outcomes.ForRequestAsync(requestId, 1);
        Assert.NotEmpty(events);
        Assert.All(events, e => Assert.DoesNotContain(ProviderKey, e.ErrorMessage ?? "", StringComparison.Ordinal));
        Assert.Contains(events, e => e.ErrorMessage is not null);
    }
}
