using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Switchboard.Router.Credentials;

namespace Switchboard.Router.Tests.Credentials;

/// <summary>HashiCorp Vault KV v2 against an in-test Kestrel that answers like Vault; the simpler sources directly.</summary>
public sealed class SecretSourceTests : IAsyncLifetime
{
    private const string Token = "hvs.test-token";
    private WebApplication _vault = null!;
    private string _address = "";
    private volatile string _value = "sk-v1";

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _vault = builder.Build();
        // GET /v1/{mount}/data/{path}: {"data": {"data": {...}, "metadata": {...}}}, 403 on a bad token.
        _vault.MapGet("/v1/secret/data/switchboard", (HttpContext ctx) =>
            ctx.Request.Headers["X-Vault-Token"] != Token
                ? Results.Json(new { errors = new[] { "permission denied" } }, statusCode: 403)
                : Results.Json(new { data = new { data = new Dictionary<string, string> { ["OPENAI"] = _value, ["OTHER"] = "x" }, metadata = new { version = 3 } } }));
        await _vault.StartAsync();
        _address = _vault.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    }

    public async Task DisposeAsync() => await _vault.DisposeAsync();

    [Fact]
    public async Task Vault_ReadsTheCurrentVersion_OfAKvV2Field()
    {
        using var http = new HttpClient();
        var source = new HashiCorpVaultSecretSource(http, new VaultOptions { Address = _address, Token = Token });

        Assert.Equal("sk-v1", await source.GetAsync("OPENAI", CancellationToken.None));
        _value = "sk-v2";
        Assert.Equal("sk-v2", await source.GetAsync("OPENAI", CancellationToken.None));
        Assert.Equal("x", await source.GetAsync("switchboard#OTHER", CancellationToken.None));
        Assert.Null(await source.GetAsync("MISSING", CancellationToken.None));
    }

    [Fact]
    public async Task Vault_WithABadToken_Throws_SoTheStoreKeepsItsKeys()
    {
        using var http = new HttpClient();
        var source = new HashiCorpVaultSecretSource(http, new VaultOptions { Address = _address, Token = "wrong" });

        await Assert.ThrowsAsync<HttpRequestException>(() => source.GetAsync("OPENAI", CancellationToken.None));
    }

    [Fact]
    public async Task Resolver_ReadsEveryForm_AndSplitsSeveralKeysOneALine()
    {
        var variable = $"ROUTER_TEST_KEY_{Guid.NewGuid():N}";
        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(file, "sk-a\nsk-b\n");
            var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Secrets:anthropic"] = "sk-c" }).Build();
            var resolver = new SecretResolver(configuration, new ConfigurationSecretSource(configuration));

            Environment.SetEnvironmentVariable(variable, "sk-env-1");
            Assert.Equal(["sk-env-1"], await resolver.ResolveAsync($"env:{variable}", CancellationToken.None));
            Environment.SetEnvironmentVariable(variable, "sk-env-2"); // changed at run time
            Assert.Equal(["sk-env-2"], await resolver.ResolveAsync($"env:{variable}", CancellationToken.None));
            Assert.Equal(["sk-a", "sk-b"], await resolver.ResolveAsync($"file:{file}", CancellationToken.None));
            Assert.Equal(["sk-c"], await resolver.ResolveAsync("secret:anthropic", CancellationToken.None));
            Assert.Equal(["literal"], await resolver.ResolveAsync("literal", CancellationToken.None));
            Assert.Empty(await resolver.ResolveAsync("secret:none", CancellationToken.None));
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
            File.Delete(file);
        }
    }
}
