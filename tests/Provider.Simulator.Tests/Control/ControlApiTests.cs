using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Switchboard.Simulator.Tests.Infrastructure;

namespace Switchboard.Simulator.Tests.Control;

[Collection(SimulatorCollection.Name)]
public sealed class ControlApiTests(SimulatorServer server)
{
    [Fact]
    public async Task The_six_shipped_profiles_and_the_configured_one_are_listed()
    {
        _ = server.BaseAddress;

        using var json = JsonDocument.Parse(await server.Http.GetStringAsync("/_sim/providers"));

        var names = json.RootElement.EnumerateArray().Select(p => p.GetProperty("name").GetString()).ToHashSet();
        Assert.Superset(new HashSet<string?> { "openai", "anthropic", "gemini", "deepseek", "qwen", "mistral", "configured" }, names);
        var deepseek = json.RootElement.EnumerateArray().Single(p => p.GetProperty("name").GetString() == "deepseek").GetProperty("profile");
        Assert.Equal("openai", deepseek.GetProperty("type").GetString());
        Assert.True(deepseek.GetProperty("ttftMs").GetProperty("p99").GetDouble() >= 9000);
    }

    [Fact]
    public async Task Put_merges_into_the_existing_profile()
    {
        var name = await server.ProviderAsync("anthropic", new { outputTokens = 11, ttftMs = new { p50 = 100, p99 = 400 } });

        using var response = await server.Http.PutAsJsonAsync($"/_sim/providers/{name}", new { ttftMs = new { p99 = 900 } });

        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var profile = json.RootElement.GetProperty("profile");
        Assert.Equal("anthropic", profile.GetProperty("type").GetString());
        Assert.Equal(11, profile.GetProperty("outputTokens").GetInt32());
        Assert.Equal(100, profile.GetProperty("ttftMs").GetProperty("p50").GetDouble());
        Assert.Equal(900, profile.GetProperty("ttftMs").GetProperty("p99").GetDouble());
    }

    [Theory]
    [InlineData("""{"failureRate": 1.5}""", "failureRate")]
    [InlineData("""{"type": "cohere"}""", "type")]
    [InlineData("""{"ttftMs": {"p50": 500, "p99": 100}}""", "p50")]
    [InlineData("""{"failureStatus": 200}""", "failureStatus")]
    [InlineData("""{"ttfMs": {"p50": 5}}""", "ttfMs")]
    [InlineData("""{"outputTokens": "many"}""", "outputTokens")]
    public async Task Invalid_profiles_are_refused_with_a_message_naming_the_field(string body, string field)
    {
        using var response = await server.Http.PutAsync($"/_sim/providers/{SimulatorServer.UniqueName("bad")}", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Contains(field, json.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stats_count_outcomes_and_delete_resets_them()
    {
        var name = await server.ProviderAsync("openai");
        for (var i = 0; i < 3; i++)
        {
            using var ok = await server.Http.SendAsync(new HttpRequestMessage(HttpMethod.Post, $"/{name}/v1/chat/completions")
            {
                Content = JsonContent.Create(new { model = "m", messages = new[] { new { role = "user", content = "hi" } } }),
                Headers = { { "Authorization", "Bearer k" } },
            });
        }

        using var noKey = await server.Http.PostAsJsonAsync($"/{name}/v1/chat/completions", new { model = "m", messages = new[] { new { role = "user", content = "hi" } } });

        Assert.Equal(new Stats(4, 3, 0, 1), await server.WaitForStatsAsync(name, s => s.Requests == 4 && s.Completed == 3));
        using var reset = await server.Http.DeleteAsync($"/_sim/providers/{name}/stats");
        Assert.Equal(HttpStatusCode.NoContent, reset.StatusCode);
        Assert.Equal(new Stats(0, 0, 0, 0), await server.StatsAsync(name));
    }

    [Fact]
    public async Task Unknown_providers_are_404_on_the_control_api()
    {
        _ = server.BaseAddress;

        using var stats = await server.Http.GetAsync("/_sim/providers/nosuch/stats");
        using var delete = await server.Http.DeleteAsync("/_sim/providers/nosuch/stats");

        Assert.Equal(HttpStatusCode.NotFound, stats.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, delete.StatusCode);
    }

    [Fact]
    public async Task Reset_restores_the_shipped_profiles_and_removes_the_others()
    {
        // Its own server: a reset must not pull providers from under the other tests.
        using var own = new SimulatorServer();
        var custom = await own.ProviderAsync("openai");
        await own.ProviderAsync("openai", new { outputTokens = 3 }, name: "openai");

        using var response = await own.Http.PostAsync("/_sim/reset", null);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await own.Http.GetAsync($"/_sim/providers/{custom}")).StatusCode);
        using var openai = JsonDocument.Parse(await own.Http.GetStringAsync("/_sim/providers/openai"));
        Assert.Equal(40, openai.RootElement.GetProperty("profile").GetProperty("outputTokens").GetInt32());
        Assert.Equal(350, openai.RootElement.GetProperty("profile").GetProperty("ttftMs").GetProperty("p50").GetDouble());
    }
}
