using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Switchboard.Contracts.Redis;
using Switchboard.Router.Extensions;
using Switchboard.Router.Leadership;
using Switchboard.Testing;
using Xunit.Abstractions;

namespace Switchboard.Router.Tests.Leadership;

/// <summary>Two in-process lease holders with separate owners against a real Redis, real time.</summary>
public sealed class LeaderLeaseTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly RedisServer _redis = new();
    private ConnectionMultiplexer _mux = null!;

    public async Task InitializeAsync()
    {
        await _redis.InitializeAsync();
        _mux = await ConnectionMultiplexer.ConnectAsync(_redis.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        await _mux.DisposeAsync();
        await _redis.DisposeAsync();
    }

    private LeaderLease Lease(string owner, TimeSpan ttl) => new(_mux, Options.Create(new RouterOptions
    {
        InstanceId = owner,
        LeaseTtl = ttl,
        LeaseRenewInterval = ttl / 5,
    }), TimeProvider.System, NullLogger<LeaderLease>.Instance);

    [Fact]
    public async Task OnlyOneReplica_IsLeader_AndAFollowerTakesOverWhenTheLeaderDies()
    {
        var ttl = TimeSpan.FromSeconds(2);
        var a = Lease("a", ttl);
        var b = Lease("b", ttl);
        using var aRun = new CancellationTokenSource();
        using var bRun = new CancellationTokenSource();
        var aTask = a.RunAsync(aRun.Token);
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await a.WaitForLeadershipAsync(wait.Token);
        var bTask = b.RunAsync(bRun.Token);
        await Task.Delay(ttl); // b retries several times meanwhile

        Assert.True(a.IsLeader);
        Assert.False(b.IsLeader);
        Assert.Equal("a", (string?)await _mux.GetDatabase().StringGetAsync(RedisKeys.RouterLeaderLease));

        // Crash: a stops renewing and never releases.
        var term = a.TermToken;
        await aRun.CancelAsync();
        await aTask;
        var watch = Stopwatch.StartNew();
        await b.WaitForLeadershipAsync(wait.Token);
        watch.Stop();

        output.WriteLine($"take-over after leader crash: {watch.Elapsed.TotalMilliseconds:0} ms (ttl {ttl.TotalMilliseconds} ms, retry {ttl.TotalMilliseconds / 5} ms)");
        Assert.True(b.IsLeader);
        Assert.InRange(watch.Elapsed, TimeSpan.Zero, ttl + ttl); // bounded by TTL + one retry
        Assert.False(term.IsCancellationRequested); // a crashed process does not learn anything; its lease just expires
        await bRun.CancelAsync();
        await bTask;
    }

    [Fact]
    public async Task GracefulRelease_HandsOverWithoutWaitingForTheTtl()
    {
        var ttl = TimeSpan.FromSeconds(30);
        var a = Lease("a", ttl);
        var b = new LeaderLease(_mux, Options.Create(new RouterOptions
        {
            InstanceId = "b",
            LeaseTtl = ttl,
            LeaseRenewInterval = TimeSpan.FromMilliseconds(100),
        }), TimeProvider.System, NullLogger<LeaderLease>.Instance);
        using var run = new CancellationTokenSource();
        var aTask = a.RunAsync(run.Token);
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await a.WaitForLeadershipAsync(wait.Token);
        var bTask = b.RunAsync(run.Token);
        var term = a.TermToken;

        await a.ReleaseAsync();
        await b.WaitForLeadershipAsync(wait.Token);

        Assert.True(term.IsCancellationRequested);
        Assert.False(a.IsLeader);
        await run.CancelAsync();
        await Task.WhenAll(aTask, bTask);
    }

    [Fact]
    public async Task Leader_StepsDown_WhenAnotherOwnerHoldsTheLease()
    {
        var a = Lease("a", TimeSpan.FromSeconds(1));
        using var run = new CancellationTokenSource();
        var task = a.RunAsync(run.Token);
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await a.WaitForLeadershipAsync(wait.Token);
        var term = a.TermToken;

        // Simulates a partition long enough for another replica to take the lease.
        await _mux.GetDatabase().StringSetAsync(RedisKeys.RouterLeaderLease, "intruder", TimeSpan.FromSeconds(30));

        await Infrastructure.Wait.UntilAsync(() => Task.FromResult(term.IsCancellationRequested), TimeSpan.FromSeconds(5), "step down");
        Assert.False(a.IsLeader);
        await run.CancelAsync();
        await task;
    }
}
