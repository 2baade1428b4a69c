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
        await _fixture.WaitForRowsAsync(events.Count);
        var window = $"from={Uri.EscapeDataString(now.AddHours(-2).ToString("O"))}&to={Uri.EscapeDataString(now.AddMinutes(1).ToString("O"))}";
        var before = (await _fixture.Client.GetFromJsonAsync<List<SlaRowDto>>($"/api/sla?{window}&groupBy=route"))!;
        var minuteRollupRequests = await _fixture.ScalarAsync("SELECT sum(requests) FROM rollup_minute");

        // The same events again, as a gateway that lost its acknowledgement would send them: new stream entries.
        await _fixture.PublishAsync(events);
        await Wait.UntilAsync(async () => (await _fixture.GroupStateAsync()) is { Pending: 0, Lag: 0 }, "the replay to be consumed");

        Assert.Equal(events.Count, await _fixture.RowCountAsync());
        Assert.Equal(minuteRollupRequests, await _fixture.ScalarAsync("SELECT sum(requests) FROM rollup_minute"));
        var after = (await _fixture.Client.GetFromJsonAsync<List<SlaRowDto>>($"/api/sla?{window}&groupBy=route"))!;
        Assert.Equal(before!.Select(r => (r.Group, r.Requests, r.Errors, r.CostUsd, r.LatencyMs.P95)),
            after!.Select(r => (r.Group, r.Requests, r.Errors, r.CostUsd, r.LatencyMs.P95)));
    }
}
