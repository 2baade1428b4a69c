using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Gateway.Configuration;
using Switchboard.Gateway.Tests.Infrastructure;

namespace Switchboard.Gateway.Tests.Reliability;

/// <summary>Model names are the client's to choose: a stream of made-up ones must not grow what the gateway keeps.</summary>
public sealed class MadeUpModelNamesTests
{
    [Fact]
    public async Task Unknown_provider_model_names_are_404s_and_are_not_remembered()
    {
        var doc = new RoutingJson().Provider("known", "openai", "http://127.0.0.1:9/v1", "k").Route("chat", [("known", "m")]).Key("k", "sk-made-up");
        using var gateway = new GatewayFactory(doc.ToString());
        using var http = gateway.Http();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "sk-made-up");

        for (var i = 0; i < 2000; i++)
        {
            using var response = await http.PostAsync("/v1/chat/completions",
                new StringContent($$"""{"model":"nobody-{{i}}/model-{{i}}","messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }

        var config = gateway.Services.GetRequiredService<IRoutingStore>().Current;
        Assert.Equal(0, config.CachedDirectRoutes);
    }

    [Fact]
    public void Known_provider_model_names_are_cached_up_to_a_bound()
    {
        var doc = new RoutingJson().Provider("known", "openai", "http://127.0.0.1:9/v1", "k").Route("chat", [("known", "m")]);
        using var gateway = new GatewayFactory(doc.ToString());
        gateway.StartServer();
        var config = gateway.Services.GetRequiredService<IRoutingStore>().Current;

        for (var i = 0; i < 5000; i++)
        {
            Assert.Equal($"model-{i}", config.Resolve($"known/model-{i}")!.Targets[0].Model);
        }

        Assert.InRange(config.CachedDirectRoutes, 1, 1024);
        Assert.Same(config.Resolve("known/model-1"), config.Resolve("known/model-1"));
    }
}
