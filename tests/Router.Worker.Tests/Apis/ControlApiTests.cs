using Switchboard.Contracts.Keys;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using StackExchange.Redis;
using Switchboard.Contracts.Health;
using Switchboard.Contracts.Redis;
using Switchboard.Router.Keys;
using Switchboard.Router.Tests.Infrastructure;

namespace Switchboard.Router.Tests.Apis;

public sealed class ControlApiTests(Servers servers) : IClassFixture<Servers>, IAsyncLifetime
{
    private FakeProvider _provider = null!;
    private RouterApp _app = null!;
    private ConnectionMultiplexer _mux = null!;

    public async Task InitializeAsync()
    {
        await servers.Redis.FlushAsync();
        _mux = await ConnectionMultiplexer.ConnectAsync(servers.Redis.ConnectionString);
        _provider = await FakeProvider.StartAsync();
        _app = new RouterApp(servers.Redis.ConnectionString, servers.Postgres.ConnectionString, RouterApp.Document("${FAKE_URL}"),
            new Dictionary<string, string?> { ["FAKE_URL"] = _provider.BaseUrl });
        await _app.WaitForLeadershipAsync();
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _provider.DisposeAsync();
        await _mux.DisposeAsync();
    }

    [Theory]
    [InlineData("/api/health")]
    [InlineData("/api/alerts")]
    [InlineData("/api/routing/versions")]
    [InlineData("/api/keys")]
    [InlineData("/api/quality")]
    public async Task Api_WithoutTheAdminKey_Is401(string path)
    {
        using var anonymous = _app.CreateClient();
        using var wrong = _app.CreateClient();
        wrong.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", RouterApp.AdminKey + "x");

        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(path)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await wrong.GetAsync(path)).StatusCode);
    }

    [Fact]
    public async Task Health_ListsEveryConfiguredDeployment_InTheContractShape()
    {
        using var admin = _app.Admin();

        var json = await admin.GetFromJsonAsync<JsonElement>("/api/health");

        var entry = Assert.Single(json.EnumerateArray());
        Assert.Equal("fake", entry.GetProperty("provider").GetString());
        Assert.Equal("gpt-4o-2024-08-06", entry.GetProperty("model").GetString());
        Assert.Equal("healthy", entry.GetProperty("state").GetString());
        Assert.Equal("closed", entry.GetProperty("circuit").GetString());
        foreach (var field in new[] { "requestsPerMin", "errorRate", "ttftMs", "latencyMs", "updatedAt" })
        {
            Assert.True(entry.TryGetProperty(field, out _), field);
        }
    }

    [Fact]
    public async Task Validate_NamesTheFieldOfEachError()
    {
        using var admin = _app.Admin();
        var bad = """{ "providers": { "x": { "type": "nope", "baseUrl": "http://h" } }, "routes": { "r": { "targets": [ { "provider": "y", "model": "gpt-4o" } ] } }, "extra": 1 }""";

        var unknownField = await admin.PostAsync("/api/routing/validate", new StringContent(bad, Encoding.UTF8, "application/json"));
        var body = await unknownField.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(HttpStatusCode.BadRequest, unknownField.StatusCode);
        Assert.False(body.GetProperty("valid").GetBoolean());
        Assert.Contains("extra", body.GetProperty("errors")[0].GetProperty("message").GetString(), StringComparison.Ordinal);

        var invalid = await admin.PostAsync("/api/routing/validate", new StringContent(bad.Replace(", \"extra\": 1", "", StringComparison.Ordinal), Encoding.UTF8, "application/json"));
        var fields = (await invalid.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("field").GetString()).ToList();
        Assert.Contains("providers.x.type", fields);
        Assert.Contains("routes.r.targets[0].provider", fields);
        Assert.Contains("routes.r.targets[0].model", fields);

        var valid = await admin.PostAsync("/api/routing/validate", new StringContent(RouterApp.Document("${FAKE_URL}"), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, valid.StatusCode);
    }

    [Fact]
    public async Task Publish_StoresVersions_MirrorsToRedis_AndRollbackRepublishesAnOldOne()
    {
        using var admin = _app.Admin();
        var current = await admin.GetFromJsonAsync<JsonElement>("/api/routing/current");
        Assert.Equal(0, current.GetProperty("version").GetInt64()); // the baseline

        var v1 = await PublishAsync(admin, RouterApp.Document("${FAKE_URL}", apiKey: "env:ONE"), "first");
        var v2 = await PublishAsync(admin, RouterApp.Document("${FAKE_URL}", apiKey: "env:TWO"), "second");
        var refused = await admin.PostAsJsonAsync("/api/routing/publish", new { document = new { routes = new { r = new { targets = Array.Empty<object>() } } } });
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);

        var db = _mux.GetDatabase();
        Assert.Equal(v2, (long)await db.StringGetAsync(RedisKeys.RoutingVersion));
        Assert.Contains("env:TWO", (string?)await db.StringGetAsync(RedisKeys.RoutingDocument), StringComparison.Ordinal);
        Assert.Contains("${FAKE_URL}", (string?)await db.StringGetAsync(RedisKeys.RoutingDocument), StringComparison.Ordinal); // gateways expand with their own configuration

        var rollback = await admin.PostAsync($"/api/routing/rollback/{v1}", null);
        rollback.EnsureSuccessStatusCode();
        var v3 = (await rollback.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("version").GetInt64();
        Assert.True(v3 > v2);
        Assert.Contains("env:ONE", (string?)await db.StringGetAsync(RedisKeys.RoutingDocument), StringComparison.Ordinal);

        var versions = await admin.GetFromJsonAsync<JsonElement>("/api/routing/versions");
        var list = versions.EnumerateArray().Select(v => (Version: v.GetProperty("version").GetInt64(), Comment: v.GetProperty("comment").GetString())).ToList();
        Assert.Equal([v3, v2, v1, 0], list.Select(v => v.Version));
        Assert.Equal("second", list[1].Comment);
        var stored = await admin.GetFromJsonAsync<JsonElement>($"/api/routing/versions/{v3}");
        Assert.Equal("env:ONE", stored.GetProperty("document").GetProperty("providers").GetProperty("fake").GetProperty("apiKey").GetString());
        Assert.Equal(v1, stored.GetProperty("rolledBackFrom").GetInt64());
        Assert.Equal(v3, (await admin.GetFromJsonAsync<JsonElement>("/api/routing/current")).GetProperty("version").GetInt64());
        Assert.Equal(HttpStatusCode.NotFound, (await admin.PostAsync("/api/routing/rollback/999", null)).StatusCode);
    }

    private static async Task<long> PublishAsync(HttpClient admin, string document, string comment)
    {
        var response = await admin.PostAsJsonAsync("/api/routing/publish", new { document = JsonDocument.Parse(document).RootElement, comment, author = "test" });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("version").GetInt64();
    }

    [Fact]
    public async Task Keys_AreShownOnce_StoredHashed_PublishedToGateways_AndRevocable()
    {
        using var admin = _app.Admin();

        var created = await admin.PostAsJsonAsync("/api/keys", new { name = "team-a", models = new[] { "chat" }, requestsPerMinute = 60, budgetUsd = 12.5m });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var key = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!;
        Assert.StartsWith("sb-", key, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Conflict, (await admin.PostAsJsonAsync("/api/keys", new { name = "team-a" })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PostAsJsonAsync("/api/keys", new { name = "b", requestsPerMinute = -1 })).StatusCode);

        var listed = await admin.GetStringAsync("/api/keys");
        Assert.DoesNotContain(key, listed, StringComparison.Ordinal);
        Assert.DoesNotContain("sha256", listed, StringComparison.Ordinal);

        var published = JsonDocument.Parse((string)(await _mux.GetDatabase().HashGetAsync(RedisKeys.GatewayKeys, "team-a"))!).RootElement;
        var hash = published.GetProperty("keyHash").GetString()!;
        Assert.True(GatewayKeyHash.Verify(key, hash));
        Assert.False(GatewayKeyHash.Verify(key + "x", hash));
        Assert.Equal(60, published.GetProperty("limits").GetProperty("requestsPerMinute").GetInt32());
        Assert.Equal(12.5m, published.GetProperty("budgetUsd").GetDecimal());
        Assert.False(published.GetProperty("revoked").GetBoolean());

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync("/api/keys/team-a")).StatusCode);
        published = JsonDocument.Parse((string)(await _mux.GetDatabase().HashGetAsync(RedisKeys.GatewayKeys, "team-a"))!).RootElement;
        Assert.True(published.GetProperty("revoked").GetBoolean());
        Assert.Equal(HttpStatusCode.NotFound, (await admin.DeleteAsync("/api/keys/nobody")).StatusCode);
    }

    [Fact]
    public async Task Keys_ShowTheSpendAndHoldsOfTheGatewaysBudgetLedger()
    {
        using var admin = _app.Admin();
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/keys", new { name = "team-spend", budgetUsd = 1m })).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/keys", new { name = "team-idle", budgetUsd = 1m })).StatusCode);
        // What gateways write when they settle and reserve (integer nano-USD).
        await _mux.GetDatabase().HashSetAsync(RedisKeys.KeyBudget("team-spend"),
            [new HashEntry(RedisKeys.BudgetSpentField, 420_000_000L), new HashEntry(RedisKeys.BudgetReservedField, 70_000_000L)]);

        var keys = (await admin.GetFromJsonAsync<JsonElement>("/api/keys")).EnumerateArray().ToDictionary(k => k.GetProperty("name").GetString()!);

        Assert.Equal(0.42m, keys["team-spend"].GetProperty("spentUsd").GetDecimal());
        Assert.Equal(0.07m, keys["team-spend"].GetProperty("reservedUsd").GetDecimal());
        Assert.Equal(0m, keys["team-idle"].GetProperty("spentUsd").GetDecimal());
    }

    [Fact]
    public async Task PublishedHealth_IsWhatFollowersServe()
    {
        var db = _mux.GetDatabase();
        await Wait.UntilAsync(() => db.KeyExistsAsync(RedisKeys.HealthSnapshot), TimeSpan.FromSeconds(10), "a snapshot");

        var snapshot = JsonSerializer.Deserialize((string)(await db.StringGetAsync(RedisKeys.HealthSnapshot))!, Contracts.Outcomes.ContractJson.Default.HealthSnapshot)!;

        Assert.Equal("fake", Assert.Single(snapshot.Deployments).Provider);
        Assert.Equal(HealthState.Healthy, snapshot.Deployments[0].State);
    }
}
