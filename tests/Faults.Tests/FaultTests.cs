using System.Globalization;
using Switchboard.Contracts.Redis;
using Switchboard.Testing.Stack;
using Xunit.Abstractions;

namespace Switchboard.Faults.Tests;

/// <summary>
/// Faults injected into a running Switchboard (two gateway replicas, Router.Worker, Metrics.Service, Redis,
/// PostgreSQL, Provider.Simulator: real processes on loopback) under a steady open-loop load of streaming and
/// non-streaming requests. Each test asserts what the client saw (no failed request) and what was recorded (every
/// attempt of every answered request in PostgreSQL exactly once, rollups agreeing with the request log).
/// The tests share one environment and run one after another; each starts by restoring anything a failed test left down.
/// </summary>
public sealed class FaultTests(StackFixture fixture, ITestOutputHelper output) : IClassFixture<StackFixture>
{
    /// <summary>Requests per second (FAULTS_RATE overrides).</summary>
    private static readonly double Rate =
        double.TryParse(Environment.GetEnvironmentVariable("FAULTS_RATE"), CultureInfo.InvariantCulture, out var r) ? r : 300;

    private static readonly TimeSpan Steady = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Recovery = TimeSpan.FromSeconds(8);
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(60);

    private SwitchboardStack Stack => fixture.Stack;

    /// <summary>
    /// gateway-a's buffer (the production 20,000) holds the whole outage: every event arrives. gateway-b's
    /// (<see cref="StackFixture.SmallOutcomeBuffer"/>) overflows: what it drops it counts, to the event.
    /// </summary>
    [Fact]
    public async Task Redis_killed_for_20_s_then_restarted_fails_no_request_and_every_event_is_recorded_or_counted_as_dropped()
    {
        var droppedBefore = Stack.Gateways.Select(SwitchboardStack.OutcomesDropped).ToArray();
        var run = await RunAsync("redis", async _ =>
        {
            await Stack.Redis.KillAsync();
            await Task.Delay(TimeSpan.FromSeconds(20));
            await Stack.Redis.StartAsync(TimeSpan.FromSeconds(30));
        });

        AssertNoFailedRequest(run);
        var expectedA = run.ExpectedEvents(r => r.Replica == 0);
        var expectedB = run.ExpectedEvents(r => r.Replica == 1);
        // The last drop is logged once the writer gets through again; wait for the ledger to settle on what arrived.
        var ledger = await Stack.WaitForLedgerAsync(run.Task, expectedA + expectedB - (Dropped(1) - droppedBefore[1]), DrainTimeout);
        var droppedA = Dropped(0) - droppedBefore[0];
        var droppedB = Dropped(1) - droppedBefore[1];
        var recordedA = ledger.RowsByGateway.GetValueOrDefault("gateway-a");
        var recordedB = ledger.RowsByGateway.GetValueOrDefault("gateway-b");
        output.WriteLine($"gateway-a: sent {expectedA}, recorded {recordedA}, dropped {droppedA}; " +
                         $"gateway-b (buffer {StackFixture.SmallOutcomeBuffer}): sent {expectedB}, recorded {recordedB}, dropped {droppedB}; ledger: {ledger}");

        Assert.Equal(0, droppedA);
        Assert.Equal(expectedA, recordedA);
        Assert.True(droppedB > 0, $"gateway-b's buffer of {StackFixture.SmallOutcomeBuffer} never overflowed: the drop count was not exercised");
        Assert.Equal(expectedB, recordedB + droppedB);
        // None doubled after the replay of held batches.
        Assert.Equal(ledger.Rows, ledger.RollupAttempts);
        Assert.Equal(ledger.Rows, recordedA + recordedB);
        Assert.Equal((0L, (long?)0), await Stack.WaitForGroupDrainedAsync(RedisKeys.MetricsConsumerGroup, TimeSpan.FromSeconds(20)));

        long Dropped(int replica) => SwitchboardStack.OutcomesDropped(Stack.Gateways[replica]);
    }

    [Fact]
    public async Task PostgreSQL_stopped_for_30_s_fails_no_request_and_loses_no_event()
    {
        var run = await RunAsync("postgres", async _ =>
        {
            await Stack.Postgres.StopAsync();
            await Task.Delay(TimeSpan.FromSeconds(30));
            await Stack.Postgres.StartAsync();
        });

        AssertNoFailedRequest(run);
        await AssertEveryEventRecordedOnceAsync(run);
    }

    [Fact]
    public async Task Metrics_Service_and_Router_Worker_killed_mid_batch_lose_no_event_and_double_none()
    {
        long pendingAtKill = 0;
        var run = await RunAsync("sigkill", async _ =>
        {
            // Mid-batch: Metrics.Service holds entries it has read and not yet acknowledged.
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while ((pendingAtKill = (await Stack.GroupAsync(RedisKeys.MetricsConsumerGroup)).Pending) == 0 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(2);
            }
            await Task.WhenAll(Stack.Metrics.KillAsync(), Stack.Router.KillAsync());
            await Task.WhenAll(Stack.Metrics.StartAsync(TimeSpan.FromSeconds(60)), Stack.Router.StartAsync(TimeSpan.FromSeconds(60)));
        });
        output.WriteLine($"entries pending in the metrics group when both were killed: {pendingAtKill}");

        Assert.True(pendingAtKill > 0, "Metrics.Service was never caught mid-batch");
        AssertNoFailedRequest(run);
        await AssertEveryEventRecordedOnceAsync(run);
        // Router.Worker: its successor took the lease and claimed what the killed one had read but not acknowledged.
        var router = await Stack.WaitForGroupDrainedAsync(RedisKeys.RouterConsumerGroup, TimeSpan.FromSeconds(45));
        output.WriteLine($"router group after recovery: pending {router.Pending}, lag {router.Lag}");
        Assert.Equal((0L, (long?)0), router);
    }

    [Fact]
    public async Task One_gateway_replica_killed_fails_only_requests_in_flight_on_it()
    {
        var killing = TimeSpan.Zero;
        var killed = TimeSpan.Zero;
        var inFlight = 0;
        var run = await RunAsync("replica", async load =>
        {
            killing = load.Elapsed;
            inFlight = load.InFlightOn(1);
            await Stack.Gateways[1].KillAsync();
            killed = load.Elapsed;
            await Task.Delay(TimeSpan.FromSeconds(8));
            await Stack.Gateways[1].StartAsync(TimeSpan.FromSeconds(60));
        });
        output.WriteLine($"gateway-b killed between {killing.TotalSeconds:F2} s ({inFlight} requests in flight on it) and {killed.TotalSeconds:F2} s; " +
                         $"{run.Failed.Count} requests failed, all started on it before it was gone");

        // Errors only for requests that had reached the killed replica before it died; all later ones were
        // refused a connection there and retried on the other replica by the client.
        Assert.All(run.Failed, f => Assert.True(f.Replica == 1 && f.StartedAt <= killed,
            $"#{f.Index} failed on replica {f.Replica} at {f.StartedAt.TotalSeconds:F2} s: {f.Error}"));
        Assert.True(run.IntrudersAdmitted.Count == 0, $"{run.IntrudersAdmitted.Count} requests with a wrong key were let through");
        Assert.Contains(run.Clients, r => r.ConnectRetries > 0 && r.Ok);

        // The survivor's records are complete; the killed one loses at most what its in-memory buffer held. It can
        // also hold more than its clients saw: a request it finished (and recorded) just before the kill, whose answer
        // the kill cut off on the way to the client, is one of the failed requests (one attempt each: the provider
        // does not fail in this run).
        var expectedA = run.ExpectedEvents(r => r.Ok && r.Replica == 0);
        var ledger = await WaitForGatewayRowsAsync(run.Task, "gateway-a", expectedA);
        var expectedB = run.ExpectedEvents(r => r.Ok && r.Replica == 1);
        var recordedB = ledger.RowsByGateway.GetValueOrDefault("gateway-b");
        output.WriteLine($"ledger: {ledger}");
        output.WriteLine($"gateway-a: expected {expectedA}, recorded {ledger.RowsByGateway.GetValueOrDefault("gateway-a")}; " +
                         $"gateway-b: expected {expectedB}, recorded {recordedB} (lost with the killed process: {expectedB - recordedB})");
        Assert.Equal(expectedA, ledger.RowsByGateway.GetValueOrDefault("gateway-a"));
        Assert.InRange(recordedB, 0, expectedB + run.Failed.Count);
        Assert.Equal(ledger.Rows, ledger.RollupAttempts);
    }

    [Fact]
    public async Task Provider_credential_rotated_mid_load_fails_no_request()
    {
        var run = await RunAsync("rotation", async _ => await Stack.RotateProviderKeyAsync());

        AssertNoFailedRequest(run);
        var ledger = await AssertEveryEventRecordedOnceAsync(run);
        // The old key was refused at least once: the rotation was felt, and absorbed by re-reading the secret.
        Assert.True(ledger.AuthFailures > 0, "no attempt was refused: the rotation did not reach the gateways");
    }

    /// <summary>
    /// Until one gateway's rows reach <paramref name="expected"/> and the ledger stops changing (bounded): the total
    /// alone would be reached early with the other replica's rows in it while this one's still arrive.
    /// </summary>
    private async Task<Ledger> WaitForGatewayRowsAsync(string task, string gateway, long expected)
    {
        var deadline = DateTime.UtcNow + DrainTimeout;
        var last = await Stack.LedgerAsync(task);
        while (DateTime.UtcNow < deadline)
        {
            await Task.Delay(500);
            var ledger = await Stack.LedgerAsync(task);
            if (ledger.RowsByGateway.GetValueOrDefault(gateway) >= expected && ledger.Rows == last.Rows && ledger.RollupAttempts == ledger.Rows)
            {
                return ledger;
            }
            last = ledger;
        }
        return last;
    }

    private async Task<FaultRun> RunAsync(string name, Func<LoadGenerator, Task> fault)
    {
        output.WriteLine(fixture.StartupLog);
        await Stack.EnsureRunningAsync();
        var crashesBefore = Stack.Crashes().Count;
        var task = $"{name}-{Guid.NewGuid():N}"[..(name.Length + 9)];
        await using var load = new LoadGenerator([.. Stack.Gateways.Select(g => g.BaseAddress)], SwitchboardStack.GatewayKey, task, Rate);
        load.Start();
        try
        {
            await Task.Delay(Steady);
            var faultStart = load.Elapsed;
            await fault(load);
            output.WriteLine($"fault '{name}' from {faultStart.TotalSeconds:F1} s to {load.Elapsed.TotalSeconds:F1} s");
            await Task.Delay(Recovery);
        }
        finally
        {
            // Whatever happened, the next test finds everything running.
            await Stack.EnsureRunningAsync();
        }
        var duration = load.Elapsed;
        var results = await load.StopAsync();
        var run = new FaultRun(task, results, duration);
        output.WriteLine(run.Summary());
        if (run.Failed.Count > 0)
        {
            output.WriteLine(run.Failures());
        }
        // No process may fall over on its own because a neighbour did.
        var crashes = Stack.Crashes().Skip(crashesBefore).ToList();
        Assert.True(crashes.Count == 0, string.Join("\n\n", crashes));
        return run;
    }

    private void AssertNoFailedRequest(FaultRun run)
    {
        Assert.True(run.Failed.Count == 0, $"{run.Failed.Count} client requests failed:\n{run.Failures()}");
        Assert.True(run.IntrudersAdmitted.Count == 0, $"{run.IntrudersAdmitted.Count} requests with a wrong key were not refused");
        Assert.True(run.Clients.Count() > Rate * 5, "the load did not run");
    }

    private async Task<Ledger> AssertEveryEventRecordedOnceAsync(FaultRun run)
    {
        var expected = run.ExpectedEvents();
        var ledger = await Stack.WaitForLedgerAsync(run.Task, expected, DrainTimeout);
        output.WriteLine($"events expected {expected} for {run.Answered()} requests; ledger: {ledger}");
        if (ledger.Rows != expected)
        {
            output.WriteLine(Stack.Tails());
        }
        Assert.Equal(expected, ledger.Rows);
        Assert.Equal(run.Answered(), ledger.Requests);
        // None doubled: a replayed batch must add nothing to the rollups either.
        Assert.Equal(ledger.Rows, ledger.RollupAttempts);
        Assert.Equal(ledger.Requests, ledger.CountedRows);
        Assert.Equal(ledger.CountedRows, ledger.RollupRequests);
        var metrics = await Stack.WaitForGroupDrainedAsync(RedisKeys.MetricsConsumerGroup, TimeSpan.FromSeconds(20));
        Assert.Equal((0L, (long?)0), metrics);
        return ledger;
    }
}
