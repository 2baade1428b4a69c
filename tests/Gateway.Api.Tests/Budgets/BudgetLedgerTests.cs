using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;
using Switchboard.Contracts.Redis;
using Switchboard.Gateway.Budgets;
using Switchboard.Gateway.Limits;
using Switchboard.Gateway.Outcomes;
using Switchboard.Testing;

namespace Switchboard.Gateway.Tests.Budgets;

/// <summary>The budget ledger against a real Redis: atomic reservations, settlement, expiry, fallback and reconcile.</summary>
public sealed class BudgetLedgerTests : IAsyncLifetime
{
    private readonly RedisServer _redis = new();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly List<ServiceProvider> _providers = [];

    public Task InitializeAsync() => _redis.InitializeAsync();

    public async Task DisposeAsync()
    {
        foreach (var p in _providers)
        {
            await p.DisposeAsync();
        }
        await _redis.DisposeAsync();
    }

    /// <summary>A ledger as one gateway replica has it (its own connection).</summary>
    private async Task<BudgetLedger> ReplicaAsync()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConnectionMultiplexer>(_ => ConnectionMultiplexer.Connect(_redis.ConnectionString));
        var provider = services.BuildServiceProvider();
        _providers.Add(provider);
        var shared = new SharedRedis(provider, new RedisPresence(true));
        await shared.StartConnecting();
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (shared.Database is null && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }
        Assert.NotNull(shared.Database);
        return new BudgetLedger(shared, _time, NullLogger<BudgetLedger>.Instance);
    }

    private async Task<long> FieldAsync(string key, string field)
    {
        await using var mux = await ConnectionMultiplexer.ConnectAsync(_redis.ConnectionString);
        return (long)await mux.GetDatabase().HashGetAsync(RedisKeys.KeyBudget(key), field);
    }

    [Fact]
    public async Task Reserve_then_settle_records_the_actual_cost_and_frees_the_hold()
    {
        var ledger = await ReplicaAsync();
        var (reservation, spent) = await ledger.ReserveAsync("k1", 1m, 0.30m, TimeSpan.FromMinutes(1));
        Assert.NotNull(reservation);
        Assert.Equal(0m, spent);
        Assert.Equal(300_000_000, await FieldAsync("k1", RedisKeys.BudgetReservedField));
        await ledger.SettleAsync(reservation!, 0.12m);
        Assert.Equal(120_000_000, await FieldAsync("k1", RedisKeys.BudgetSpentField));
        Assert.Equal(0, await FieldAsync("k1", RedisKeys.BudgetReservedField));
        // A second settle of the same reservation changes nothing.
        await ledger.SettleAsync(reservation!, 0.12m);
        Assert.Equal(120_000_000, await FieldAsync("k1", RedisKeys.BudgetSpentField));
    }

    [Fact]
    public async Task Concurrent_reservations_from_two_replicas_never_pass_the_budget()
    {
        var a = await ReplicaAsync();
        var b = await ReplicaAsync();
        var results = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => (i % 2 == 0 ? a : b).ReserveAsync("k2", 1m, 0.07m, TimeSpan.FromMinutes(1)).AsTask()));
        // 14 x 0.07 = 0.98 fits, a 15th would be 1.05.
        Assert.Equal(14, results.Count(r => r.Reservation is not null));
        Assert.Equal(980_000_000, await FieldAsync("k2", RedisKeys.BudgetReservedField));
    }

    [Fact]
    public async Task A_released_reservation_lets_the_next_request_in()
    {
        var ledger = await ReplicaAsync();
        var (first, _) = await ledger.ReserveAsync("k3", 1m, 0.8m, TimeSpan.FromMinutes(1));
        var (refused, _) = await ledger.ReserveAsync("k3", 1m, 0.8m, TimeSpan.FromMinutes(1));
        Assert.NotNull(first);
        Assert.Null(refused);
        await ledger.ReleaseAsync(first!);
        var (second, _) = await ledger.ReserveAsync("k3", 1m, 0.8m, TimeSpan.FromMinutes(1));
        Assert.NotNull(second);
    }

    [Fact]
    public async Task A_reservation_left_by_a_dead_replica_expires()
    {
        var dead = await ReplicaAsync();
        var live = await ReplicaAsync();
        Assert.NotNull((await dead.ReserveAsync("k4", 1m, 0.9m, TimeSpan.FromSeconds(30))).Reservation);
        Assert.Null((await live.ReserveAsync("k4", 1m, 0.5m, TimeSpan.FromSeconds(30))).Reservation);
        _time.Advance(TimeSpan.FromSeconds(31));
        Assert.NotNull((await live.ReserveAsync("k4", 1m, 0.5m, TimeSpan.FromSeconds(30))).Reservation);
        Assert.Equal(500_000_000, await FieldAsync("k4", RedisKeys.BudgetReservedField));
    }

    [Fact]
    public async Task With_Redis_down_the_replica_enforces_locally_and_reconciles_when_it_returns()
    {
        var ledger = await ReplicaAsync();
        var (r1, _) = await ledger.ReserveAsync("k5", 1m, 0.2m, TimeSpan.FromMinutes(1));
        await ledger.SettleAsync(r1!, 0.2m);

        await _redis.StopAsync();
        // Local: 0.2 spent (seen in Redis) + 0.75 reserved here = 0.95; another 0.1 does not fit.
        var (local, spent) = await ledger.ReserveAsync("k5", 1m, 0.75m, TimeSpan.FromMinutes(1));
        Assert.NotNull(local);
        Assert.False(local!.Shared);
        Assert.Equal(0.2m, spent);
        Assert.Null((await ledger.ReserveAsync("k5", 1m, 0.1m, TimeSpan.FromMinutes(1))).Reservation);
        await ledger.SettleAsync(local, 0.3m);
        Assert.Equal(0.5m, ledger.SpentUsd("k5"));
        Assert.False(await ledger.ReconcileAsync());

        await _redis.StartAsync();
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!await ledger.ReconcileAsync() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }
        Assert.Equal(500_000_000, await FieldAsync("k5", RedisKeys.BudgetSpentField));
    }
}
