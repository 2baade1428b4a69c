using System.Text.Json;
using StackExchange.Redis;
using Switchboard.Contracts.Health;
using Switchboard.Contracts.Outcomes;
using Switchboard.Contracts.Redis;
using Switchboard.Router.Credentials;
using Switchboard.Router.Health;
using Switchboard.Router.Probes;
using Switchboard.Router.Tests.Infrastructure;

namespace Switchboard.Router.Tests.Credentials;

/// <summary>A provider key in a mounted file is rotated while the worker runs; a gateway reports the 401.</summary>
public sealed class CredentialRotationTests(Servers servers) : IClassFixture<Servers>, IAsyncLifetime
{
    private readonly string _keyFile = Path.Combine(Path.GetTempPath(), $"router-key-{Guid.NewGuid():N}");
    private FakeProvider _provider = null!;
    private RouterApp _app = null!;
    private ConnectionMultiplexer _mux = null!;

    public async Task InitializeAsync()
    {
        await servers.Redis.FlushAsync();
        _mux = await ConnectionMultiplexer.ConnectAsync(servers.Redis.ConnectionString);
        _provider = await FakeProvider.StartAsync();
        _provider.AcceptedKey = "sk-new-key";
        await File.WriteAllTextAsync(_keyFile, "sk-old-key\n");
        _app = new RouterApp(servers.Redis.ConnectionString, servers.Postgres.ConnectionString,
            RouterApp.Document(_provider.BaseUrl, apiKey: $"file:{_keyFile}"),
            new Dictionary<string, string?> { ["Switchboard:Router:CredentialRefreshDebounce"] = "00:00:00" });
        await _app.WaitForLeadershipAsync();
        var store = _app.Get<CredentialStore>();
        await Wait.UntilAsync(() => Task.FromResult(store.Version("fake") is not null), TimeSpan.FromSeconds(10), "the first credential load");
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _provider.DisposeAsync();
        await _mux.DisposeAsync();
        File.Delete(_keyFile);
    }

    [Fact]
    public async Task RotatedKey_IsPickedUpWithoutRestart_AfterAGatewayReportsA401()
    {
        var probes = _app.Get<ProbeScheduler>();
        var store = _app.Get<CredentialStore>();
        var health = _app.Get<HealthModel>();
        var deployment = new DeploymentKey("fake", "gpt-4o-2024-08-06");
        var before = store.Version("fake");

        var refused = await probes.ProbeAsync(deployment, CancellationToken.None);
        Assert.Equal(ErrorClass.Auth, refused!.Error);
        Assert.True(health.Detail(deployment)!.Health.CredentialInvalid);

        // The operator rotates the mounted secret; a gateway is refused with the old key and says so.
        await File.WriteAllTextAsync(_keyFile, "sk-new-key\n");
        await _mux.GetSubscriber().PublishAsync(RedisChannel.Literal(RedisKeys.CredentialReportsChannel),
            JsonSerializer.Serialize(new CredentialReport("fake", 401, DateTimeOffset.UtcNow, "gw-1"), ContractJson.Default.CredentialReport));
        await Wait.UntilAsync(() => Task.FromResult(store.Version("fake") != before), TimeSpan.FromSeconds(10), "the rotated key");

        var accepted = await probes.ProbeAsync(deployment, CancellationToken.None);
        Assert.True(accepted!.Success);
        Assert.False(health.Detail(deployment)!.Health.CredentialInvalid);
        // Gateways learn a new version, never the key.
        var published = (string?)await _mux.GetDatabase().HashGetAsync(RedisKeys.CredentialVersions, "fake");
        Assert.Equal(store.Version("fake"), published);
        Assert.DoesNotContain("sk-new-key", published, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ScheduledRefresh_PicksUpAnEnvironmentChange()
    {
        // env: is read live from the process environment; here the store is asked directly (the schedule calls the same).
        var store = _app.Get<CredentialStore>();
        await File.WriteAllTextAsync(_keyFile, "sk-new-key\nsk-second-key\n");

        var changed = await store.RefreshAsync(null, CancellationToken.None);

        Assert.Equal(["fake"], changed);
        var first = store.Lease("fake")!;
        var second = store.Lease("fake")!;
        Assert.NotEqual(first.Fingerprint, second.Fingerprint); // load spread over both keys
        store.Refused("fake", first);
        Assert.Equal(second.Fingerprint, store.Lease("fake")!.Fingerprint);
        Assert.Equal(second.Fingerprint, store.Lease("fake")!.Fingerprint);
        Assert.DoesNotContain("sk-", first.ToString(), StringComparison.Ordinal);
    }
}
