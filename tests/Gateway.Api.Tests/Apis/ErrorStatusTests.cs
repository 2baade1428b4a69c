using System.ClientModel;
using System.Net;
using System.Text;
using System.Text.Json;
using OpenAI.Chat;
using Switchboard.Gateway.Tests.Infrastructure;

namespace Switchboard.Gateway.Tests.Apis;

/// <summary>Every error status of CONTRACT.md section 2, in the OpenAI shape, surfaced by the SDK as its exception.</summary>
[Collection(SimulatorCollection.Name)]
public sealed class ErrorStatusTests(SimulatorFixture sim) : IAsyncLifetime
{
    private GatewayFactory _gateway = null!;
    private string _ok = "";
    private string _down = "";
    private string _hang = "";
    private string _refusing = "";

    public async Task InitializeAsync()
    {
        _ok = await sim.NewProviderAsync("openai");
        _down = await sim.NewProviderAsync("openai", new { failureRate = 1.0, failureStatus = 503 });
        _hang = await sim.NewProviderAsync("openai", new { hang = true });
        _refusing = await sim.NewProviderAsync("openai", new { failureRate = 1.0, failureStatus = 400 });
        var doc = new RoutingJson()
            .Provider(_ok, "openai", sim.ProviderBaseUrl(_ok, "openai"), "sim-key")
            .Provider(_down, "openai", sim.ProviderBaseUrl(_down, "openai"), "sim-key")
            .Provider(_hang, "openai", sim.ProviderBaseUrl(_hang, "openai"), "sim-key")
            .Provider(_refusing, "openai", sim.ProviderBaseUrl(_refusing, "openai"), "sim-key")
            .Route("chat", [(_ok, "gpt-4o-2024-08-06")])
            .Route("secret", [(_ok, "gpt-4o-2024-08-06")])
            .Route("down", [(_down, "gpt-4o-2024-08-06")], maxAttempts: 2)
            .Route("hang", [(_hang, "gpt-4o-2024-08-06")], attemptTimeoutMs: 300, maxAttempts: 2)
            .Route("refusing", [(_refusing, "gpt-4o-2024-08-06"), (_ok, "gpt-4o-2024-08-06")])
            .Key("app", "sk-app", models: ["chat", "down", "hang", "refusing"])
            .Key("limited", "sk-limited", requestsPerMinute: 1)
            .Key("all", "sk-all");
        _gateway = new GatewayFactory(doc.ToString(), new() { ["Switchboard:Gateway:MaxRequestBodyBytes"] = "2048" });
    }

    public Task DisposeAsync()
    {
        _gateway.Dispose();
        return Task.CompletedTask;
    }

    private static async Task<ClientResultException> Fails(Task task) => await Assert.ThrowsAsync<ClientResultException>(() => task);

    private static void AssertOpenAIShape(string body)
    {
        using var doc = JsonDocument.Parse(body);
        var error = doc.RootElement.GetProperty("error");
        Assert.Equal(JsonValueKind.String, error.GetProperty("message").ValueKind);
        Assert.Equal(JsonValueKind.String, error.GetProperty("type").ValueKind);
        Assert.True(error.TryGetProperty("param", out _));
        Assert.True(error.TryGetProperty("code", out _));
    }

    [Fact]
    public async Task Valid_key_and_route_succeed()
    {
        var result = await _gateway.Chat("chat", "sk-app").CompleteChatAsync([new UserChatMessage("hi")]);
        Assert.Equal(200, result.GetRawResponse().Status);
    }

    [Fact]
    public async Task Unknown_key_is_401()
    {
        var ex = await Fails(_gateway.Chat("chat", "sk-wrong").CompleteChatAsync([new UserChatMessage("hi")]));
        Assert.Equal(401, ex.Status);
        AssertOpenAIShape(ex.GetRawResponse()!.Content.ToString());
    }

    [Fact]
    public async Task Api_key_header_is_accepted_and_missing_key_is_401()
    {
        using var http = _gateway.Http();
        var body = """{"model":"chat","messages":[{"role":"user","content":"hi"}]}""";
        using var missing = await http.PostAsync("/v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("api-key", "sk-app");
        using var ok = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Fact]
    public async Task Model_not_allowed_for_the_key_is_403()
    {
        var ex = await Fails(_gateway.Chat("secret", "sk-app").CompleteChatAsync([new UserChatMessage("hi")]));
        Assert.Equal(403, ex.Status);
        AssertOpenAIShape(ex.GetRawResponse()!.Content.ToString());
    }

    [Theory]
    [InlineData("no-such-route")]
    [InlineData("nope/x-2024-01-01")]
    public async Task Unknown_model_is_404(string model)
    {
        var ex = await Fails(_gateway.Chat(model, "sk-all").CompleteChatAsync([new UserChatMessage("hi")]));
        Assert.Equal(404, ex.Status);
        var body = ex.GetRawResponse()!.Content.ToString();
        AssertOpenAIShape(body);
        Assert.Contains("model_not_found", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Body_over_the_limit_is_413()
    {
        var ex = await Fails(_gateway.Chat("chat", "sk-app").CompleteChatAsync([new UserChatMessage(new string('x', 5000))]));
        Assert.Equal(413, ex.Status);
        AssertOpenAIShape(ex.GetRawResponse()!.Content.ToString());
    }

    [Theory]
    [InlineData("{not json", null)]
    [InlineData("""{"model":"chat"}""", "messages")]
    [InlineData("""{"model":"chat","messages":"hi"}""", "messages")]
    [InlineData("""{"model":"chat","messages":[{"content":"hi"}]}""", "messages[0].role")]
    [InlineData("""{"model":"chat","messages":[{"role":"user","content":"hi"},{"role":"wizard","content":"hi"}]}""", "messages[1].role")]
    [InlineData("""{"model":"chat","messages":[{"role":"","content":"hi"}]}""", "messages[0].role")]
    [InlineData("""{"model":"chat","messages":[{"role":"user","content":"hi"}],"stream":"yes"}""", "stream")]
    [InlineData("""{"model":"chat","messages":[{"role":"user","content":"hi"}],"max_tokens":"ten"}""", "max_tokens")]
    [InlineData("""{"model":"chat","messages":[{"role":"user","content":"hi"}],"temperature":"hot"}""", "temperature")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}]}""", "model")]
    // Property names are matched unescaped, and names longer than the stack buffer still work.
    [InlineData("""{"model":"chat","messages":[{"role":"user","content":"hi"}],"\u0073tream":"yes"}""", "stream")]
    [InlineData("""{"model":"chat","messages":[{"role":"user","content":"hi"}],"x_an_unknown_property_name_that_is_longer_than_sixty_four_bytes_in_all":1,"max_tokens":"ten"}""", "max_tokens")]
    [InlineData("""{"model":"chat","messages":[{"role":"user","content":"hi"}],"max_completion_tokens_and_then_some_more_text_to_pass_sixty_four_bytes":"x","seed":"s"}""", "seed")]
    [InlineData("[1,2]", null)]
    public async Task Malformed_requests_are_400_naming_the_field(string body, string? param)
    {
        using var http = _gateway.Http();
        http.DefaultRequestHeaders.Add("Authorization", "Bearer sk-app");
        using var r = await http.PostAsync("/v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        var text = await r.Content.ReadAsStringAsync();
        AssertOpenAIShape(text);
        using var doc = JsonDocument.Parse(text);
        var p = doc.RootElement.GetProperty("error").GetProperty("param");
        Assert.Equal(param, p.ValueKind == JsonValueKind.Null ? null : p.GetString());
    }

    [Fact]
    public async Task Key_over_its_request_limit_is_429_with_retry_after()
    {
        var chat = _gateway.Chat("chat", "sk-limited");
        await chat.CompleteChatAsync([new UserChatMessage("hi")]);
        var ex = await Fails(chat.CompleteChatAsync([new UserChatMessage("hi")]));
        Assert.Equal(429, ex.Status);
        Assert.True(ex.GetRawResponse()!.Headers.TryGetValue("Retry-After", out var after) && int.Parse(after!, System.Globalization.CultureInfo.InvariantCulture) > 0);
        AssertOpenAIShape(ex.GetRawResponse()!.Content.ToString());
    }

    [Fact]
    public async Task Every_target_failing_is_502_listing_each_attempt()
    {
        var ex = await Fails(_gateway.Chat("down", "sk-app").CompleteChatAsync([new UserChatMessage("hi")]));
        Assert.Equal(502, ex.Status);
        var body = ex.GetRawResponse()!.Content.ToString();
        AssertOpenAIShape(body);
        Assert.Contains("#1 " + _down, body, StringComparison.Ordinal);
        Assert.Contains("#2 " + _down, body, StringComparison.Ordinal);
        Assert.Equal("2", ex.GetRawResponse()!.Headers.TryGetValue("x-switchboard-attempts", out var a) ? a : null);
        Assert.Equal(2, (await sim.StatsAsync(_down)).Requests);
    }

    [Fact]
    public async Task Every_target_timing_out_is_504()
    {
        var ex = await Fails(_gateway.Chat("hang", "sk-app").CompleteChatAsync([new UserChatMessage("hi")]));
        Assert.Equal(504, ex.Status);
        AssertOpenAIShape(ex.GetRawResponse()!.Content.ToString());
    }

    [Fact]
    public async Task Upstream_400_is_returned_as_is_and_never_retried()
    {
        var ex = await Fails(_gateway.Chat("refusing", "sk-app").CompleteChatAsync([new UserChatMessage("hi")]));
        Assert.Equal(400, ex.Status);
        AssertOpenAIShape(ex.GetRawResponse()!.Content.ToString());
        Assert.Equal(1, (await sim.StatsAsync(_refusing)).Requests);
        Assert.Equal("1", ex.GetRawResponse()!.Headers.TryGetValue("x-switchboard-attempts", out var a) ? a : null);
    }

    [Fact]
    public async Task Models_lists_routes_and_provider_model_names_the_key_may_use()
    {
        using var http = _gateway.Http();
        http.DefaultRequestHeaders.Add("Authorization", "Bearer sk-app");
        using var doc = JsonDocument.Parse(await http.GetStringAsync("/v1/models"));
        var ids = doc.RootElement.GetProperty("data").EnumerateArray().Select(e => e.GetProperty("id").GetString()).ToList();
        Assert.Contains("chat", ids);
        Assert.DoesNotContain("secret", ids);
        Assert.Equal("list", doc.RootElement.GetProperty("object").GetString());
    }
}
