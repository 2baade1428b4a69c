using System.Text.Json;
using StackExchange.Redis;
using Switchboard.Contracts.Health;
using Switchboard.Contracts.Outcomes;
using Switchboard.Contracts.Redis;
using Switchboard.Router.Tests.Infrastructure;

namespace Switchboard.Router.Tests.Snapshots;

/// <summary>
/// Snapshot ordering when Redis loses the version counter: a new epoch, later than the old one, so a gateway that
/// orders by (epoch, version) takes the new snapshots although their versions start again at 1.
/// </summary>
public sealed class SnapshotEpochTests(Servers servers) : IClassFixture<Servers>, IAsyncLifetime
{
    private FakeProvider _provider = null!;
    private RouterApp _app = null!;
    private ConnectionMultiplexer _mux = null!;

    public async Task InitializeAsync()
    {
        await servers.Redis.FlushAsync();
        _mux = await ConnectionMultiplexer.ConnectAsync(servers.Redis.ConnectionString);
        _provider = await FakeProvider.StartAsync();
        _app = new RouterApp(servers.Redis.ConnectionString, servers.Postgres.ConnectionString, RouterApp.Document(_provider.BaseUrl),
            new Dictionary<string, string?> { ["Switchboard:Router:SnapshotHeartbeat"] = "00:00:00.200" });
        await _app.WaitForLeadershipAsync();
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _provider.DisposeAsync();
        await _mux.DisposeAsync();
    }

    private async Task<HealthSnapshot?> ReadAsync()
    {
        var json = await _mux.GetDatabase().StringGetAsync(RedisKeys.HealthSnapshot);
        return json.HasValue ? JsonSerializer.Deserialize((string)json!, ContractJson.Default.HealthSnapshot) : null;
    }

    private async Task<HealthSnapshot> WaitForAsync(Func<HealthSnapshot, bool> condition, string what)
    {
        HealthSnapshot? found = null;
        await Wait.UntilAsync(async () => (found = await ReadAsync()) is { } s && condition(s), TimeSpan.FromSeconds(15), what);
        return found!;
    }

    [Fact]
    public async Task RedisLosingEverything_StartsALaterEpoch_ThatSupersedesWhatGatewaysHold()
    {
        var before = await WaitForAsync(s => s.Version >= 5, "five snapshots");
        Assert.True(before.Epoch > 0);

        await servers.Redis.FlushAsync();
        var after = await WaitForAsync(s => s.Epoch != before.Epoch, "a snapshot of a new epoch");

        Assert.True(after.Epoch > before.Epoch);
        Assert.True(after.Version < before.Version, $"versions restarted: {after.Version} after {before.Version}");
        Assert.True(after.Supersedes(before));
        Assert.False(before.Supersedes(after));
    }

    [Fact]
    public async Task ACounterThatWentBack_StartsANewEpoch()
    {
        var before = await WaitForAsync(s => s.Version >= 5, "five snapshots");

        // As if Redis came back from an older dump: same epoch, a lower counter.
        await _mux.GetDatabase().StringSetAsync(RedisKeys.HealthVersion, 1);
        var after = await WaitForAsync(s => s.Epoch != before.Epoch, "a snapshot of a new epoch");

        Assert.True(after.Epoch > before.Epoch);
        Assert.True(after.Supersedes(before));
    }

    [Theory]
    [InlineData(0, 5, 0, 6, true)]     // writers without epochs: by version
    [InlineData(0, 5, 0, 5, true)]     // the same snapshot again
    [InlineData(0, 5, 0, 4, false)]    // older
    [InlineData(100, 900, 200, 1, true)] // a later epoch wins whatever its version
    [InlineData(200, 1, 100, 900, false)]
    [InlineData(0, 900, 100, 1, true)] // the first epoch after an upgrade
    public void Supersedes_OrdersByEpochThenVersion(long heldEpoch, long heldVersion, long epoch, long version, bool expected)
    {
        var held = new HealthSnapshot { Epoch = heldEpoch, Version = heldVersion, UpdatedAt = DateTimeOffset.UnixEpoch, Deployments = [] };
        var next = held with { Epoch = epoch, Version = version };

        Assert.Equal(expected, next.Supersedes(held));
        Assert.True(next.Supersedes(null));
    }
}
