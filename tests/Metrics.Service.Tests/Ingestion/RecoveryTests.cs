using StackExchange.Redis;
using Switchboard.Contracts.Outcomes;
using Switchboard.Contracts.Redis;
using Switchboard.Metrics.Tests.Infrastructure;

namespace Switchboard.Metrics.Tests.Ingestion;

/// <summary>
/// Before the service starts, 250 requests (about 310 events) are in the stream and the group has handed 120 of them to this service's
/// consumer name without an acknowledgement (a previous run crashed mid-batch) and 50 to a consumer that is gone.
/// </summary>
public sealed class CrashedConsumerFixture : MetricsServiceFixture
{
    public List<OutcomeEvent> Events { get; } = Outcomes.Mix(250, DateTimeOffset.UtcNow.AddMinutes(-20), DateTimeOffset.UtcNow, seed: 31, prefix: "crash");

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Metrics:ClaimIdle"] = "00:00:00.300",
    };

    protected override async Task BeforeServiceStartsAsync()
    {
        await PublishAsync(Events);
        await RedisDb.StreamCreateConsumerGroupAsync(RedisKeys.OutcomesStream, RedisKeys.MetricsConsumerGroup, "0");
        await RedisDb.StreamReadGroupAsync(RedisKeys.OutcomesStream, RedisKeys.MetricsConsumerGroup, "test", ">", 120);
        await RedisDb.StreamReadGroupAsync(RedisKeys.OutcomesStream, RedisKeys.MetricsConsumerGroup, "gone", ">", 50);
    }
}

public sealed class RecoveryTests(CrashedConsumerFixture fixture) : IClassFixture<CrashedConsumerFixture>
{
    [Fact]
    public async Task Entries_left_pending_by_a_crash_or_a_dead_consumer_are_stored_and_acknowledged()
    {
        await fixture.WaitForRowsAsync(fixture.Events.Count);
        await Wait.UntilAsync(async () => (await fixture.GroupStateAsync()) is { Pending: 0, Lag: 0 }, "every entry acknowledged");

        Assert.Equal(fixture.Events.Count, await fixture.RowCountAsync());
        var consumers = await fixture.RedisDb.StreamConsumerInfoAsync(RedisKeys.OutcomesStream, RedisKeys.MetricsConsumerGroup);
        Assert.All(consumers, c => Assert.Equal(0, c.PendingMessageCount));
    }
}
