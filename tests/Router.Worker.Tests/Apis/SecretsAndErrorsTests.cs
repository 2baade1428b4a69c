using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using StackExchange.Redis;
using Switchboard.Contracts.Redis;
using Switchboard.Router.Tests.Infrastructure;

namespace Switchboard.Router.Tests.Apis;

/// <summary>
/// Literal provider and gateway keys never leave the control API, and every error it answers has the OpenAI shape
/// (<c>{"error":{"message","type","param","code"}}</c>) with the field named where there is one.
/// </summary>
public sealed class SecretsAndErrorsTests(Servers servers) : IClassFixture<Servers>, IAsyncLifetime
{
    private const string ProviderKey = "sk-literal-provider-7f3a9c1e55d2";
    private const string SpareKey = "sk-literal-spare-0b8e4d2a61f7";
    private const string HeaderToken = "tok-literal-header-93c5e1a7";
    private const string GatewayKey = "sb-literal-gateway-4e7d0c9b2a18";
    private static readonly string[] Secrets = [ProviderKey, SpareKey, HeaderToken, GatewayKey];

    private FakeProvider _provider = null!;
    private RouterApp _app = null!;
    private ConnectionMultiplexer _mux = null!;

    private static string Document(string baseUrl, string route = "chat") => $$"""
        {
          "providers": {
            "fake":  { "type": "openai", "baseUrl": "{{baseUrl}}", "apiKey": "{{ProviderKey}}", "headers": { "x-org-token": "{{HeaderToken}}", "x-team": "blue" } },
            "spare": { "type": "openai", "baseUrl": "{{baseUrl}}", "apiKeys": [ "{{SpareKey}}", "env:SPARE_KEY_2" ] }
          },
          "routes": { "{{route}}": { "targets": [ { "provider": "fake", "model": "gpt-4o-2024-08-06" }, { "provider": "spare", "model": "gpt-4o-2024-08-06" } ] } },
          "keys": [ { "name": "team-a", "key": "{{GatewayKey}}" }, { "name": "team-b", "key": "env:TEAM_B_KEY" } ],
          "monitoring": { "probeIntervalSeconds": 0, "canaryIntervalSeconds": 0 }
        }
        """;

    public async Task InitializeAsync()
    {
        await servers.Redis.FlushAsync();
        _mux = await ConnectionMultiplexer.ConnectAsync(servers.Redis.ConnectionString);
        _provider = await FakeProvider.StartAsync();
        _app = new RouterApp(servers.Redis.ConnectionString, servers.Postgres.ConnectionString, Document(_provider.BaseUrl));
        await _app.WaitForLeadershipAsync();
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _provider.DisposeAsync();
        await _mux.DisposeAsync();
    }

    [Fact]
    public async Task NoControlApiResponse_ContainsALiteralKey_AndReferencesAreShown()
    {
        using var admin = _app.Admin();
        var published = await admin.PostAsJsonAsync("/api/routing/publish", new { document = JsonNode.Parse(Document(_provider.BaseUrl)), comment = "literal keys" });
        await AssertNoSecretAsync(published, "publish");
        var version = (await published.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("version").GetInt64();
        var invalid = await admin.PostAsync("/api/routing/validate",
            new StringContent(Document(_provider.BaseUrl).Replace("\"openai\"", "\"nope\"", StringComparison.Ordinal), Encoding.UTF8, "application/json"));
        await AssertNoSecretAsync(invalid, "validate (invalid)");

        foreach (var path in new[] { "/api/routing/current", "/api/routing/versions", $"/api/routing/versions/{version}", "/api/routing/versions/0",
                     "/api/health", "/api/health/fake/gpt-4o-2024-08-06", "/api/alerts", "/api/keys", "/api/quality" })
        {
            await AssertNoSecretAsync(await admin.GetAsync(path), path);
        }

        var current = (await admin.GetFromJsonAsync<JsonNode>("/api/routing/current"))!["document"]!;
        Assert.Equal("********", (string?)current["providers"]!["fake"]!["apiKey"]);
        Assert.Equal("********", (string?)current["providers"]!["fake"]!["headers"]!["x-org-token"]);
        Assert.Equal("blue", (string?)current["providers"]!["fake"]!["headers"]!["x-team"]);
        Assert.Equal("********", (string?)current["providers"]!["spare"]!["apiKeys"]![0]);
        Assert.Equal("env:SPARE_KEY_2", (string?)current["providers"]!["spare"]!["apiKeys"]![1]);
        Assert.Equal("********", (string?)current["keys"]![0]!["key"]);
        Assert.Equal("env:TEAM_B_KEY", (string?)current["keys"]![1]!["key"]);
    }

    [Fact]
    public async Task PublishingTheMaskedDocumentBack_KeepsTheStoredKeys()
    {
        using var admin = _app.Admin();
        (await admin.PostAsJsonAsync("/api/routing/publish", new { document = JsonNode.Parse(Document(_provider.BaseUrl)) })).EnsureSuccessStatusCode();

        // An operator edits what the API showed (a route renamed, the gateway keys reordered) and publishes it.
        var shown = (await admin.GetFromJsonAsync<JsonNode>("/api/routing/current"))!["document"]!.AsObject();
        var routes = shown["routes"]!.AsObject();
        var chat = routes["chat"]!.DeepClone();
        routes.Remove("chat");
        routes["renamed"] = chat;
        var keys = shown["keys"]!.AsArray();
        var first = keys[0]!.DeepClone();
        keys.RemoveAt(0);
        keys.Add(first);
        var validate = await admin.PostAsJsonAsync("/api/routing/validate", shown);
        Assert.Equal(HttpStatusCode.OK, validate.StatusCode);
        var republished = await admin.PostAsJsonAsync("/api/routing/publish", new { document = shown, comment = "edited the masked view" });
        Assert.Equal(HttpStatusCode.OK, republished.StatusCode);

        var stored = JsonNode.Parse((string)(await _mux.GetDatabase().StringGetAsync(RedisKeys.RoutingDocument))!)!;
        Assert.NotNull(stored["routes"]!["renamed"]);
        Assert.Equal(ProviderKey, (string?)stored["providers"]!["fake"]!["apiKey"]);
        Assert.Equal(HeaderToken, (string?)stored["providers"]!["fake"]!["headers"]!["x-org-token"]);
        Assert.Equal(SpareKey, (string?)stored["providers"]!["spare"]!["apiKeys"]![0]);
        Assert.Equal("team-a", (string?)stored["keys"]![1]!["name"]);
        Assert.Equal(GatewayKey, (string?)stored["keys"]![1]!["key"]);
    }

    [Fact]
    public async Task TheMaskWhereNoKeyIsStored_Is400NamingTheField()
    {
        using var admin = _app.Admin();
        var document = JsonNode.Parse(Document(_provider.BaseUrl))!;
        document["providers"]!["other"] = new JsonObject { ["type"] = "openai", ["baseUrl"] = _provider.BaseUrl, ["apiKey"] = "********" };

        var response = await admin.PostAsJsonAsync("/api/routing/publish", new { document });

        var error = await AssertErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request_error");
        Assert.Equal("providers.other.apiKey", error.GetProperty("param").GetString());
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.False(body.GetProperty("valid").GetBoolean());
        Assert.Equal("providers.other.apiKey", body.GetProperty("errors")[0].GetProperty("field").GetString());
    }

    [Fact]
    public async Task Errors_HaveTheOpenAIShape_WithTheFieldNamed()
    {
        using var admin = _app.Admin();

        var invalid = await admin.PostAsync("/api/routing/validate", new StringContent("""{ "providers": { "x": { "type": "nope", "baseUrl": "http://h" } }, "routes": {} }""", Encoding.UTF8, "application/json"));
        Assert.Equal("providers.x.type", (await AssertErrorAsync(invalid, HttpStatusCode.BadRequest, "invalid_request_error")).GetProperty("param").GetString());

        var notJson = await admin.PostAsync("/api/routing/publish", new StringContent("{ nope", Encoding.UTF8, "application/json"));
        await AssertErrorAsync(notJson, HttpStatusCode.BadRequest, "invalid_request_error");

        var badKey = await admin.PostAsJsonAsync("/api/keys", new { name = "b", requestsPerMinute = -1 });
        Assert.Equal("requestsPerMinute", (await AssertErrorAsync(badKey, HttpStatusCode.BadRequest, "invalid_request_error")).GetProperty("param").GetString());
        var unreadable = await admin.PostAsync("/api/keys", new StringContent("{ \"name\": ", Encoding.UTF8, "application/json"));
        await AssertErrorAsync(unreadable, HttpStatusCode.BadRequest, "invalid_request_error");

        (await admin.PostAsJsonAsync("/api/keys", new { name = "dup" })).EnsureSuccessStatusCode();
        var conflict = await admin.PostAsJsonAsync("/api/keys", new { name = "dup" });
        Assert.Equal("name", (await AssertErrorAsync(conflict, HttpStatusCode.Conflict, "conflict_error")).GetProperty("param").GetString());

        await AssertErrorAsync(await admin.GetAsync("/api/routing/versions/999"), HttpStatusCode.NotFound, "not_found_error");
        await AssertErrorAsync(await admin.PostAsync("/api/routing/rollback/999", null), HttpStatusCode.NotFound, "not_found_error");
        await AssertErrorAsync(await admin.DeleteAsync("/api/keys/nobody"), HttpStatusCode.NotFound, "not_found_error");
        await AssertErrorAsync(await admin.PostAsync("/api/alerts/424242/ack", null), HttpStatusCode.NotFound, "not_found_error");
        await AssertErrorAsync(await admin.GetAsync("/api/health/nobody/none"), HttpStatusCode.NotFound, "not_found_error");
        await AssertErrorAsync(await admin.GetAsync("/api/nothing-here"), HttpStatusCode.NotFound, "not_found_error");
    }

    private static async Task<JsonElement> AssertErrorAsync(HttpResponseMessage response, HttpStatusCode status, string type)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{(int)response.StatusCode} {body}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var error = JsonDocument.Parse(body).RootElement.GetProperty("error");
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()), body);
        Assert.Equal(type, error.GetProperty("type").GetString());
        Assert.True(error.TryGetProperty("param", out _) && error.TryGetProperty("code", out _), body);
        return error.Clone();
    }

    private static async Task AssertNoSecretAsync(HttpResponseMessage response, string what)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(body.Length > 0, $"{what}: empty answer ({(int)response.StatusCode})");
        foreach (var secret in Secrets)
        {
            Assert.False(body.Contains(secret, StringComparison.Ordinal), $"{what} returned a literal key: {body}");
        }
    }
}
