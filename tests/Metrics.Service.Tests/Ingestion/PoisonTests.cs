using StackExchange.Redis;
using Switchboard.Contracts.Redis;
using Switchboard.Metrics.Tests.Infrastructure;

namespace Switchboard.Metrics.Tests.Ingestion;

public sealed class PoisonTests : IClassFixture<MetricsServiceFixture>
{
    private readonly MetricsServiceFixture _fixture;

    public PoisonTests(MetricsServiceFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task Poison_events_are_dead_lettered_with_their_reason_and_never_block_the_rest()
    {
        var now = DateTimeOffset.UtcNow;
        var good = Outcomes.Mix(50, now.AddMinutes(-5), now, seed: 3, prefix: "good");
        await _fixture.PublishAsync(good.Take(20));
        await _fixture.PublishRawAsync("{not json");
        await _fixture.PublishRawAsync("""{"requestId":"x","attempt":0,"startedAt":"2026-01-01T00:00:00Z","route":"chat","provider":"openai","model":"m","outcome":"Success"}""");
        await _fixture.PublishRawAsync("""{"requestId":"nul\u0000id","attempt":1,"startedAt":"2026-01-01T00:00:00Z","route":"chat","provider":"openai","model":"m","outcome":"Success"}""");
        await _fixture.RedisDb.StreamAddAsync(RedisKeys.OutcomesStream, "other-field", "no e here");
        await _fixture.PublishAsync(good.Skip(20));

        await _fixture.WaitForRowsAsync(good.Count);
        await Wait.UntilAsync(async () => await _fixture.RedisDb.StreamLengthAsync(RedisKeys.OutcomesDeadLetterStream) == 4, "4 dead letters");

        var dead = await _fixture.RedisDb.StreamRangeAsync(RedisKeys.OutcomesDeadLetterStream);
        var reasons = dead.Select(d => (string)d["reason"]!).ToList();
        Assert.Contains(reasons, r => r.StartsWith("invalid JSON", StringComparison.Ordinal));
        Assert.Contains("attempt must be >= 1", reasons);
        Assert.Contains("requestId contains a NUL character", reasons);
        Assert.Contains("missing field e", reasons);
        Assert.All(dead, d => Assert.False(d["id"].IsNullOrEmpty));
        Assert.Contains(dead, d => d[RedisKeys.OutcomeField] == "{not json");
        Assert.Equal(good.Count, await _fixture.RowCountAsync());
        await Wait.UntilAsync(async () => (await _fixture.GroupStateAsync()) is { Pending: 0, Lag: 0 }, "every entry acknowledged");
    }
}
