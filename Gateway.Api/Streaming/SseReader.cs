using System.Buffers;
using Switchboard.Gateway.Providers;

namespace Switchboard.Gateway.Streaming;

/// <summary>
/// Incremental server-sent-events parser over an upstream body. <see cref="FillAsync"/> reads what the network
/// has (one read), then <see cref="TryReadEvent"/> yields every complete event in it, so the relay can forward
/// and flush each batch as soon as it arrives. Spans stay valid until the next <see cref="FillAsync"/>.
/// </summary>
internal sealed class SseReader(Stream stream) : IDisposable
{
    private const int InitialSize = 16 * 1024;
    private const int MaxEventSize = 8 * 1024 * 1024;
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(InitialSize);
    private byte[]? _scratch;
    private int _start;
    private int _end;

    /// <summary>Reads once from the upstream; false at the end of the body.</summary>
    public async ValueTask<bool> FillAsync(CancellationToken cancellationToken)
    {
        if (_start == _end)
        {
            _start = _end = 0;
        }
        else if (_end == _buffer.Length)
        {
            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }
            else
            {
                if (_buffer.Length >= MaxEventSize)
                {
                    throw new UpstreamProtocolException("an upstream SSE event exceeded 8 MiB");
                }
                var bigger = ArrayPool<byte>.Shared.Rent(_buffer.Length * 2);
                Buffer.BlockCopy(_buffer, 0, bigger, 0, _end);
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = bigger;
            }
        }
        var n = await stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
        _end += n;
        return n > 0;
    }

    /// <summary>True when bytes of an unfinished event remain (the body ended mid-event).</summary>
    public bool HasPartialEvent => _end > _start;

    /// <summary>Parses the next complete event; false when the buffer holds none.</summary>
    public bool TryReadEvent(out ReadOnlySpan<byte> eventName, out ReadOnlySpan<byte> data)
    {
        eventName = default;
        data = default;
        var pos = _start;
        var nameStart = -1;
        var nameLength = 0;
        var dataStart = -1;
        var dataLength = 0;
        var scratchLength = -1;
        var sawField = false;
        while (true)
        {
            var rest = _buffer.AsSpan(pos, _end - pos);
            var nl = rest.IndexOf((byte)'\n');
            if (nl < 0)
            {
                return false;
            }
            var lineLength = nl > 0 && rest[nl - 1] == (byte)'\r' ? nl - 1 : nl;
            var line = rest[..lineLength];
            var lineStart = pos;
            pos += nl + 1;
            if (line.IsEmpty)
            {
                if (!sawField || dataStart < 0)
                {
                    // A blank line with no data (keep-alive or comment-only event): skip it.
                    _start = pos;
                    sawField = false;
                    nameStart = -1;
                    continue;
                }
                _start = pos;
                if (nameStart >= 0)
                {
                    eventName = _buffer.AsSpan(nameStart, nameLength);
                }
                data = scratchLength >= 0 ? _scratch.AsSpan(0, scratchLength) : _buffer.AsSpan(dataStart, dataLength);
                return true;
            }
            sawField = true;
            if (line[0] == (byte)':')
            {
                continue;
            }
            var colon = line.IndexOf((byte)':');
            var field = colon < 0 ? line : line[..colon];
            var valueOffset = colon < 0 ? line.Length : colon + 1;
            if (valueOffset < line.Length && line[valueOffset] == (byte)' ')
            {
                valueOffset++;
            }
            var valueStart = lineStart + valueOffset;
            var valueLength = line.Length - valueOffset;
            if (field.SequenceEqual("data"u8))
            {
                if (dataStart < 0)
                {
                    dataStart = valueStart;
                    dataLength = valueLength;
                }
                else
                {
                    // Several data lines join with '\n' (rare: providers send one line per event).
                    if (scratchLength < 0)
                    {
                        scratchLength = 0;
                        Append(_buffer.AsSpan(dataStart, dataLength), ref scratchLength);
                    }
                    Append("\n"u8, ref scratchLength);
                    Append(_buffer.AsSpan(valueStart, valueLength), ref scratchLength);
                }
            }
            else if (field.SequenceEqual("event"u8))
            {
                nameStart = valueStart;
                nameLength = valueLength;
            }
        }
    }

    private void Append(ReadOnlySpan<byte> bytes, ref int length)
    {
        if (_scratch is null || _scratch.Length < length + bytes.Length)
        {
            var bigger = new byte[Math.Max(1024, (length + bytes.Length) * 2)];
            _scratch?.AsSpan(0, length).CopyTo(bigger);
            _scratch = bigger;
        }
        bytes.CopyTo(_scratch.AsSpan(length));
        length += bytes.Length;
    }

    public void Dispose()
    {
        var b = _buffer;
        _buffer = [];
        if (b.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(b);
        }
    }
}
