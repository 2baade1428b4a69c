using Switchboard.Contracts.Routing;

namespace Switchboard.Gateway.Tests.Configuration;

public sealed class RoutingDocumentValidatorTests
{
    private const string Provider = """ "p": { "type": "openai", "baseUrl": "http://127.0.0.1:1/v1" } """;

    private static RoutingParseResult Parse(string json) => RoutingDocumentValidator.Parse(json, _ => null);

    [Fact]
    public void A_minimal_document_is_valid()
    {
        var result = Parse($$"""{ "providers": { {{Provider}} }, "routes": { "chat": { "targets": [ { "provider": "p", "model": "gpt-4o-2024-08-06" } ] } } }""");
        Assert.True(result.IsValid, string.Join("; ", result.Errors));
        Assert.Empty(result.Document!.Tasks);
    }

    [Theory]
    [InlineData("""{ "providers": {}, "routes": {}, "extra": 1 }""", "extra", "unknown field")]
    [InlineData("""{ "providers": { "p": { "type": "openai", "baseUrl": "http://x/v1", "colour": "red" } } }""", "colour", "unknown field")]
    [InlineData("""{ "providers": { "p": { "type": "openai", "baseUrl": "not a url" } } }""", "providers.p.baseUrl", "absolute")]
    [InlineData("""{ "providers": { "p": { "type": "cohere", "baseUrl": "http://x/v1" } } }""", "providers.p.type", "unknown provider type")]
    [InlineData("""{ "providers": {}, "routes": { "chat": { "targets": [] } } }""", "routes.chat.targets", "at least one target")]
    [InlineData("""{ "providers": {}, "routes": { "chat": { "targets": [ { "provider": "ghost", "model": "gpt-4o-2024-08-06" } ] } } }""", "routes.chat.targets[0].provider", "unknown provider")]
    [InlineData("""{ "providers": { "p": { "type": "openai", "baseUrl": "http://x/v1" } }, "routes": { "chat": { "targets": [ { "provider": "p", "model": "gpt-4o" } ] } } }""", "routes.chat.targets[0].model", "floating alias")]
    [InlineData("""{ "providers": { "p": { "type": "openai", "baseUrl": "http://x/v1" } }, "routes": { "chat": { "targets": [ { "provider": "p", "model": "claude-3-5-sonnet-latest" } ] } } }""", "routes.chat.targets[0].model", "floating alias")]
    [InlineData("""{ "providers": {}, "keys": [ { "name": "k", "keyHash": "md5:abc" } ] }""", "keys[0].keyHash", "sha256")]
    public void Errors_name_the_field(string json, string field, string message)
    {
        var result = Parse(json);
        Assert.False(result.IsValid);
        Assert.Contains(result.Errors, e => e.Field.Contains(field, StringComparison.Ordinal) && e.Message.Contains(message, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void A_floating_alias_is_accepted_when_the_target_allows_it()
    {
        var result = Parse($$"""{ "providers": { {{Provider}} }, "routes": { "cheap": { "targets": [ { "provider": "p", "model": "deepseek-chat", "allowFloating": true } ] } } }""");
        Assert.True(result.IsValid, string.Join("; ", result.Errors));
    }

    [Fact]
    public void The_app_host_simulator_document_loads_with_its_variable_expanded()
    {
        var json = File.ReadAllText(Path.Combine(RepoRoot(), "AppHost", "routing", "simulator.json"));
        var result = RoutingDocumentValidator.Parse(json, name => name == "SIMULATOR_URL" ? "http://127.0.0.1:9090" : null);
        Assert.True(result.IsValid, string.Join("; ", result.Errors));
        Assert.Equal("http://127.0.0.1:9090/openai/v1", result.Document!.Providers["openai"].BaseUrl);
    }

    [Fact]
    public void An_unset_variable_in_base_url_is_an_error_naming_the_field()
    {
        var result = Parse("""{ "providers": { "p": { "type": "openai", "baseUrl": "${NOPE}/v1" } } }""");
        Assert.Contains(result.Errors, e => e.Field == "providers.p.baseUrl");
    }

    internal static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Aspire.sln")))
        {
            dir = dir.Parent;
        }
        return dir!.FullName;
    }
}
