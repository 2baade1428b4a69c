using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Switchboard.Contracts.Redis;
using Switchboard.Router.Extensions;
using Switchboard.Router.Health;
using Switchboard.Router.Leadership;
using Switchboard.Testing;

namespace Switchboard.Router.Tests.Health;

/// <summary>The outcomes stream is trimmed only below what every consumer group has acknowledged, against a real Redis.</summary>
public sealed class OutcomeStreamTrimmerTests : IAsyncLifetime
{
    private readonly RedisServer _redis = new();
    private ConnectionMultiplexer _mux = null!;
    private IDatabase Db => _mux.GetDatabase();

    public async Task InitializeAsync()
    {
        await _redis.InitializeAsync();
        _mux = await ConnectionMultiplexer.ConnectAsync(_redis.ConnectionString);
        await Db.KeyDeleteAsync(RedisKeys.OutcomesStream);
    }

    public async Task DisposeAsync()
    {
        await _mux.DisposeAsync();
        await _redis.DisposeAsync();
    }

    private OutcomeStreamTrimmer Trimmer(TimeSpan retention)
    {
        var options = Options.Create(new RouterOptions { InstanceId = "trim-test", OutcomesRetention = retention });
        var lease = new LeaderLease(_mux, options, TimeProvider.System, NullLogger<LeaderLease>.Instance);
        return new OutcomeStreamTrimmer(lease, _mux, options, TimeProvider.System, NullLogger<OutcomeStreamTrimmer>.Instance);
    }

    private async Task<List<RedisValue>> AddAsync(int count)
    {
        var ids = new List<RedisValue>();
        for (var i = 0; i < count; i++)
        {
            ids.Add(await Db.StreamAddAsync(RedisKeys.OutcomesStream, RedisKeys.OutcomeField, $"{{\"n\":{i}}}"));
        }

        return ids;
    }

    // Reads `read` entries for the group and acknowledges the first `ack` of them.
    private async Task ConsumeAsync(string group, int read, int ack)
    {
        var entries = await Db.StreamReadGroupAsync(RedisKeys.OutcomesStream, group, "c1", ">", read);
        Assert.Equal(read, entries.Length);
        if (ack > 0)
        {
            await Db.StreamAcknowledgeAsync(RedisKeys.OutcomesStream, group, entries.Take(ack).Select(e => e.Id).ToArray());
        }
    }

    [Fact]
    public async Task Nothing_is_trimmed_while_a_reader_group_does_not_exist_yet()
    {
        await AddAsync(20);
        await Db.StreamCreateConsumerGroupAsync(RedisKeys.OutcomesStream, RedisKeys.RouterConsumerGroup, "0-0");
        await ConsumeAsync(RedisKeys.RouterConsumerGroup, 20, 20);

        Assert.Equal(0, await Trimmer(TimeSpan.Zero).TrimOnceAsync());
        Assert.Equal(20, await Db.StreamLengthAsync(RedisKeys.OutcomesStream));
    }

    [Fact]
    public async Task Only_entries_every_group_acknowledged_are_trimmed()
    {
        var ids = await AddAsync(100);
        await Db.StreamCreateConsumerGroupAsync(RedisKeys.OutcomesStream, RedisKeys.RouterConsumerGroup, "0-0");
        await Db.StreamCreateConsumerGroupAsync(RedisKeys.OutcomesStream, RedisKeys.MetricsConsumerGroup, "0-0");
        await ConsumeAsync(RedisKeys.RouterConsumerGroup, 100, 100);
        await ConsumeAsync(RedisKeys.MetricsConsumerGroup, 60, 50); // 10 read but pending, 40 never delivered

        Assert.Equal(50, await Trimmer(TimeSpan.Zero).TrimOnceAsync());

        var left = await Db.StreamRangeAsync(RedisKeys.OutcomesStream);
        Assert.Equal(50, left.Length);
        Assert.Equal(ids[50], left[0].Id); // the first pending entry survives
        var pending = await Db.StreamPendingAsync(RedisKeys.OutcomesStream, RedisKeys.MetricsConsumerGroup);
        Assert.Equal(10, pending.PendingMessageCount);
    }

    [Fact]
    public async Task Entries_never_delivered_to_a_group_are_kept()
    {
        var ids = await AddAsync(40);
        await Db.StreamCreateConsumerGroupAsync(RedisKeys.OutcomesStream, RedisKeys.RouterConsumerGroup, "0-0");
        await Db.StreamCreateConsumerGroupAsync(RedisKeys.OutcomesStream, RedisKeys.MetricsConsumerGroup, "0-0");
        await ConsumeAsync(RedisKeys.RouterConsumerGroup, 30, 30);
        await ConsumeAsync(RedisKeys.MetricsConsumerGroup, 40, 40);

        Assert.Equal(30, await Trimmer(TimeSpan.Zero).TrimOnceAsync());
        Assert.Equal(ids[30], (await Db.StreamRangeAsync(RedisKeys.OutcomesStream, count: 1))[0].Id);
    }

    [Fact]
    public async Task Acknowledged_entries_younger_than_the_retention_are_kept()
    {
        await AddAsync(25);
        await Db.StreamCreateConsumerGroupAsync(RedisKeys.OutcomesStream, RedisKeys.RouterConsumerGroup, "0-0");
        await Db.StreamCreateConsumerGroupAsync(RedisKeys.OutcomesStream, RedisKeys.MetricsConsumerGroup, "0-0");
        await ConsumeAsync(RedisKeys.RouterConsumerGroup, 25, 25);
        await ConsumeAsync(RedisKeys.MetricsConsumerGroup, 25, 25);

        Assert.Equal(0, await Trimmer(TimeSpan.FromHours(1)).TrimOnceAsync());
        Assert.Equal(25, await Db.StreamLengthAsync(RedisKeys.OutcomesStream));
        Assert.Equal(25, await Trimmer(TimeSpan.Zero).TrimOnceAsync());
        Assert.Equal(0, await Db.StreamLengthAsync(RedisKeys.OutcomesStream));
    }
}
