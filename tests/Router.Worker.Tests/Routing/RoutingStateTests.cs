using Microsoft.Extensions.Configuration;
using Switchboard.Router.Routing;

namespace Switchboard.Router.Tests.Routing;

public sealed class RoutingStateTests
{
    private static RoutingState State() => new(new ConfigurationBuilder()
        .AddInMemoryCollection(new Dictionary<string, string?> { ["SIM"] = "http://127.0.0.1:9" }).Build());

    [Fact]
    public void Parse_MinimalDocument_WithoutOptionalSections_IsValid()
    {
        var result = State().Parse("""
            { "providers": { "p": { "type": "openai", "baseUrl": "${SIM}/v1" } },
              "routes": { "chat": { "targets": [ { "provider": "p", "model": "gpt-4o-2024-08-06" } ] } },
              "monitoring": { "probeIntervalSeconds": 5 } }
            """);

        Assert.True(result.IsValid, string.Join("; ", result.Errors));
        Assert.Empty(result.Document!.Tasks);
        Assert.Empty(result.Document.Prices);
        Assert.Empty(result.Document.Monitoring!.Canaries);
        Assert.Equal("http://127.0.0.1:9/v1", result.Document.Providers["p"].BaseUrl);
    }

    [Fact]
    public void TryApply_IgnoresOlderVersions()
    {
        var state = State();
        var doc = """{ "providers": {}, "routes": {} }""";

        Assert.True(state.TryApply(0, doc));
        Assert.True(state.TryApply(3, doc));
        Assert.False(state.TryApply(2, doc));
        Assert.False(state.TryApply(3, doc));
        Assert.Equal(3, state.Current.Version);
    }
}
