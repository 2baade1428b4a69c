using Microsoft.Extensions.Configuration;
using Switchboard.Contracts.Keys;
using Switchboard.Contracts.Routing;
using Switchboard.Gateway.Configuration;
using Switchboard.Gateway.Keys;

namespace Switchboard.Gateway.Tests.Keys;

public sealed class KeyTableTests
{
    private static readonly CredentialResolver Resolver = new(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["MY_KEY"] = "sk-env" }).Build());

    [Fact]
    public void Literal_env_and_hashed_keys_are_found_and_others_are_not()
    {
        var hashed = GatewayKeyHash.Create("sk-hashed");
        Assert.True(RoutingDocumentValidator.IsKeyHash(hashed));
        var table = KeyTable.Build([
            new GatewayKeyConfig { Name = "literal", Key = "sk-literal" },
            new GatewayKeyConfig { Name = "env", Key = "env:MY_KEY" },
            new GatewayKeyConfig { Name = "hashed", KeyHash = hashed },
        ], Resolver, []);
        Assert.Equal("literal", table.Find("sk-literal")?.Name);
        Assert.Equal("env", table.Find("sk-env")?.Name);
        Assert.Equal("hashed", table.Find("sk-hashed")?.Name);
        Assert.Equal("hashed", table.Find("sk-hashed")?.Name); // cached path
        Assert.Null(table.Find("sk-other"));
        Assert.Null(table.Find(""));
    }

    [Fact]
    public void A_verified_header_value_is_answered_again_by_its_table_only()
    {
        var table = KeyTable.Build([new GatewayKeyConfig { Name = "k", Key = "sk-one" }], Resolver, []);
        // Built at run time, as Kestrel builds header values (never an interned literal).
        var header = string.Concat("Bearer ", "sk-", "one");
        var wrong = string.Concat("Bearer ", "sk-", "two");
        Assert.Equal("k", table.Find(header, header.AsSpan(7))?.Name);
        Assert.Equal("k", table.Find(header, header.AsSpan(7))?.Name);
        Assert.Equal("k", table.Find(string.Concat("Bearer ", "sk-one"), "sk-one")?.Name); // another instance, same key
        Assert.Null(table.Find(wrong, wrong.AsSpan(7)));
        Assert.Null(table.Find(wrong, wrong.AsSpan(7)));

        // Revoking builds a new table: the header verified by the old one is refused.
        var revoked = KeyTable.Merge(table, new Dictionary<string, GatewayKey?> { ["k"] = null });
        Assert.True(revoked.Required);
        Assert.Null(revoked.Find(header, header.AsSpan(7)));
    }

    [Fact]
    public void An_unset_env_key_is_disabled_with_a_warning()
    {
        var warnings = new List<string>();
        var table = KeyTable.Build([new GatewayKeyConfig { Name = "k", Key = "env:UNSET" }], Resolver, warnings);
        Assert.True(table.Required);
        Assert.Null(table.Find("env:UNSET"));
        Assert.Single(warnings);
    }

    [Theory]
    [InlineData("chat", true)]
    [InlineData("anthropic/claude-3-5-sonnet-20241022", true)]
    [InlineData("openai/gpt-4o-2024-08-06", false)]
    [InlineData("cheap", false)]
    public void Model_patterns_allow_routes_and_provider_wildcards(string model, bool allowed)
    {
        var key = new GatewayKey("k", GatewayKeyHash.FromKey("x"), new GatewayKeyConfig { Name = "k", Key = "x", Models = ["chat", "anthropic/*"] });
        Assert.Equal(allowed, key.Allows(model));
    }
}
