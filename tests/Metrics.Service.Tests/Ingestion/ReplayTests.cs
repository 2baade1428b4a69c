using System.Net.Http.Json;
using Switchboard.Metrics.Tests.Infrastructure;

namespace Switchboard.Metrics.Tests.Ingestion;

public sealed class ReplayTests : IClassFixture<MetricsServiceFixture>
{
    private readonly MetricsServiceFixture _fixture;

    public ReplayTests(MetricsServiceFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task A_replayed_batch_adds_no_rows_and_does_not_double_the_rollups()
    {
        var now = DateTimeOffset.UtcNow;
        var events = Outcomes.Mix(400, now.AddMinutes(-90), now, seed: 11, prefix: "replay");
        await _fixture.PublishAsync(events);
        await Wait.UntilAsync(async () => (await _fixture.GroupStateAsync()) is { Pending: 0, Lag: 0 }, "the events to be consumed");
        var rows = await _fixture.RowCountAsync();
        var window = $"from={Uri.EscapeDataString(now.AddHours(-2).ToString("O"))}&to={Uri.EscapeDataString(now.AddMinutes(1).ToString("O"))}";
        var before = (await _fixture.Client.GetFromJsonAsync<List<SlaRowDto>>($"/api/sla?{window}&groupBy=route"))!;
        var minuteRollupRequests = await _fixture.ScalarAsync("SELECT sum(requests) FROM rollup_minute");
        var dimensionRollupRequests = await _fixture.ScalarAsync("SELECT sum(requests) FROM rollup_dim_hour");

        // The same events again, as a gateway that lost its acknowledgement would send them: new stream entries.
        await _fixture.PublishAsync(events);
        await Wait.UntilAsync(async () => (await _fixture.GroupStateAsync()) is { Pending: 0, Lag: 0 }, "the replay to be consumed");

        Assert.Equal(rows, await _fixture.RowCountAsync());
        Assert.Equal(minuteRollupRequests, await _fixture.ScalarAsync("SELECT sum(requests) FROM rollup_minute"));
        Assert.Equal(dimensionRollupRequests, await _fixture.ScalarAsync("SELECT sum(requests) FROM rollup_dim_hour"));
        var after = (await _fixture.Client.GetFromJsonAsync<List<SlaRowDto>>($"/api/sla?{window}&groupBy=route"))!;
        Assert.Equal(before!.Select(r => (r.Group, r.Requests, r.Errors, r.CostUsd, r.LatencyMs.P95)),
            after!.Select(r => (r.Group, r.Requests, r.Errors, r.CostUsd, r.LatencyMs.P95)));
    }

    [Fact]
    public async Task A_batch_mixing_stored_and_new_events_stores_only_the_new_ones()
    {
        var now = DateTimeOffset.UtcNow;
        var stored = Outcomes.Mix(50, now.AddMinutes(-20), now, seed: 12, prefix: "mixed-old");
        await _fixture.PublishAsync(stored);
        await Wait.UntilAsync(async () => (await _fixture.GroupStateAsync()) is { Pending: 0, Lag: 0 }, "the first events to be consumed");
        var fresh = Outcomes.Mix(50, now.AddMinutes(-20), now, seed: 13, prefix: "mixed-new");
        var rowsBefore = await _fixture.RowCountAsync();
        var requestsBefore = await _fixture.ScalarAsync("SELECT sum(requests) FROM rollup_dim_minute WHERE dimension = 'all'");

        // One stream read holds both: the fast path (COPY into the table) meets the primary key and falls back.
        await _fixture.PublishAsync([.. stored, .. fresh]);
        await Wait.UntilAsync(async () => (await _fixture.GroupStateAsync()) is { Pending: 0, Lag: 0 }, "the mixed batch to be consumed");

        Assert.Equal(rowsBefore + fresh.Count, await _fixture.RowCountAsync());
        var counted = fresh.Count(e => e.Winner || (e.ClientStatus is < 200 or >= 300 && e.Attempt >= e.Attempts));
        Assert.Equal(requestsBefore + counted, await _fixture.ScalarAsync("SELECT sum(requests) FROM rollup_dim_minute WHERE dimension = 'all'"));
        Assert.Equal(await _fixture.ScalarAsync("SELECT sum(requests) FROM rollup_minute"),
            await _fixture.ScalarAsync("SELECT sum(requests) FROM rollup_dim_minute WHERE dimension = 'all'"));
    }
}
