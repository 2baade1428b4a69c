using System.Net;
using System.Text.Json;
using Switchboard.Gateway.Tests.Infrastructure;

namespace Switchboard.Gateway.Tests.Configuration;

/// <summary>The routing file is watched: a valid change applies while running; an invalid one keeps the last good document.</summary>
[Collection(SimulatorCollection.Name)]
public sealed class RoutingReloadTests(SimulatorFixture sim)
{
    private static async Task<List<string>> ModelsAsync(HttpClient http)
    {
        using var doc = JsonDocument.Parse(await http.GetStringAsync("/v1/models"));
        return doc.RootElement.GetProperty("data").EnumerateArray().Select(e => e.GetProperty("id").GetString()!).ToList();
    }

    private static async Task<List<string>> WaitForModelsAsync(HttpClient http, Func<List<string>, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var models = await ModelsAsync(http);
            if (done(models) || DateTime.UtcNow > deadline)
            {
                return models;
            }
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task A_valid_change_is_applied_and_an_invalid_one_keeps_the_last_good_document()
    {
        var name = await sim.NewProviderAsync("openai");
        var url = sim.ProviderBaseUrl(name, "openai");
        var first = new RoutingJson().Provider(name, "openai", url, "k").Route("first", [(name, "gpt-4o-2024-08-06")]);
        using var gateway = new GatewayFactory(first.ToString(), new() { ["Switchboard:PollRoutingFile"] = "true" });
        using var http = gateway.Http();
        Assert.Contains("first", await ModelsAsync(http));

        // A request in flight while the document changes completes on the document it started with.
        var slowName = await sim.NewProviderAsync("openai", new { ttftMs = new { p50 = 1500, p99 = 1501 } });
        var second = new RoutingJson().Provider(name, "openai", url, "k").Provider(slowName, "openai", sim.ProviderBaseUrl(slowName, "openai"), "k")
            .Route("second", [(name, "gpt-4o-2024-08-06")]).Route("slow", [(slowName, "gpt-4o-2024-08-06")]);
        await File.WriteAllTextAsync(gateway.ConfigPath, second.ToString());
        var models = await WaitForModelsAsync(http, m => m.Contains("second"));
        Assert.Contains("second", models);
        Assert.DoesNotContain("first", models);

        var inFlight = http.PostAsync("/v1/chat/completions", new StringContent("""{"model":"slow","messages":[{"role":"user","content":"hi"}]}""", System.Text.Encoding.UTF8, "application/json"));
        await Task.Delay(300);
        await File.WriteAllTextAsync(gateway.ConfigPath, """{ "providers": {}, "routes": { "broken": { "targets": [] } }, "unknownField": true }""");
        await Task.Delay(1500);
        using (var response = await inFlight)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        // The bad document was rejected: the last good one stays.
        Assert.Contains("second", await ModelsAsync(http));
    }
}
