using System.Text;
using Switchboard.Gateway.Streaming;

namespace Switchboard.Gateway.Tests.Streaming;

public sealed class SseReaderTests
{
    private static async Task<List<(string Event, string Data)>> ReadAllAsync(params string[] writes)
    {
        using var reader = new SseReader(new OneWritePerRead(writes));
        var events = new List<(string, string)>();
        while (true)
        {
            var more = await reader.FillAsync(CancellationToken.None);
            while (reader.TryReadEvent(out var name, out var data))
            {
                events.Add((Encoding.UTF8.GetString(name), Encoding.UTF8.GetString(data)));
            }
            if (!more)
            {
                return events;
            }
        }
    }

    [Fact]
    public async Task Events_split_across_reads_with_crlf_comments_and_multiline_data_are_parsed()
    {
        var events = await ReadAllAsync(
            ": keep-alive\n\n",
            "event: message_start\r\ndata: {\"a\":",
            "1}\r\n\r\ndata: line1\ndata: line2\n\n",
            "data: [DONE]\n\n",
            "data: partial-without-end");
        Assert.Equal([("message_start", "{\"a\":1}"), ("", "line1\nline2"), ("", "[DONE]")], events);
    }

    [Fact]
    public async Task A_large_event_grows_the_buffer()
    {
        var big = new string('x', 100_000);
        var events = await ReadAllAsync($"data: {big}\n\n");
        Assert.Equal(big, Assert.Single(events).Data);
    }

    /// <summary>Returns each write in its own read (as the network would), in pieces when the buffer is smaller.</summary>
    private sealed class OneWritePerRead(string[] writes) : Stream
    {
        private readonly Queue<byte[]> _chunks = new(writes.Select(Encoding.UTF8.GetBytes));
        private byte[]? _current;
        private int _offset;

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_current is null || _offset == _current.Length)
            {
                if (!_chunks.TryDequeue(out _current))
                {
                    return 0;
                }
                _offset = 0;
            }
            var n = Math.Min(count, _current.Length - _offset);
            Array.Copy(_current, _offset, buffer, offset, n);
            _offset += n;
            return n;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
