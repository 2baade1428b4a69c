using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Switchboard.Contracts.Outcomes;
using Switchboard.Gateway.Configuration;

namespace Switchboard.Gateway.Outcomes;

/// <summary>Where the attempt pipeline hands outcome events; never blocks.</summary>
internal interface IOutcomeSink
{
    void Publish(OutcomeEvent outcome);
}

/// <summary>
/// Bounded in-memory buffer between the hot path and the Redis writer. When full, the new event is dropped and
/// counted (<see cref="GatewayMetrics.OutcomesDropped"/>): the client is never made to wait for accounting.
/// </summary>
internal sealed class OutcomeChannel : IOutcomeSink
{
    private readonly Channel<OutcomeEvent> _channel;
    private readonly GatewayMetrics _metrics;

    public OutcomeChannel(IOptions<GatewayOptions> options, GatewayMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(options);
        _metrics = metrics;
        _channel = Channel.CreateBounded<OutcomeEvent>(new BoundedChannelOptions(options.Value.OutcomeBufferCapacity)
        {
            FullMode = BoundedChannelFullMode.DropWrite,
            SingleReader = true,
            SingleWriter = false,
        }, _ => metrics.Dropped());
    }

    public ChannelReader<OutcomeEvent> Reader => _channel.Reader;

    public void Publish(OutcomeEvent outcome)
    {
        _metrics.Record(outcome);
        if (!_channel.Writer.TryWrite(outcome))
        {
            _metrics.Dropped();
        }
    }

    public void Complete() => _channel.Writer.TryComplete();
}
