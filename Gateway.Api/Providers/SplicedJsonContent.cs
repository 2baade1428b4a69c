using System.Net;
using System.Net.Http.Headers;

namespace Switchboard.Gateway.Providers;

/// <summary>
/// A JSON body made of slices of the client's request and a few replacement pieces, written to the upstream
/// socket in order without being copied into one buffer first.
/// </summary>
public sealed class SplicedJsonContent : HttpContent
{
    private readonly IReadOnlyList<ReadOnlyMemory<byte>> _pieces;
    private readonly long _length;

    /// <summary>Creates the content from its pieces.</summary>
    public SplicedJsonContent(IReadOnlyList<ReadOnlyMemory<byte>> pieces)
    {
        ArgumentNullException.ThrowIfNull(pieces);
        _pieces = pieces;
        // Indexed, not foreach: an IReadOnlyList's enumerator is a boxed object per loop.
        for (var i = 0; i < pieces.Count; i++)
        {
            _length += pieces[i].Length;
        }
        Headers.ContentType = new MediaTypeHeaderValue("application/json");
    }

    /// <summary>The body as one array (tests and diagnostics).</summary>
    public byte[] ToArray()
    {
        var result = new byte[_length];
        var offset = 0;
        foreach (var p in _pieces)
        {
            p.Span.CopyTo(result.AsSpan(offset));
            offset += p.Length;
        }
        return result;
    }

    /// <inheritdoc />
    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        for (var i = 0; i < _pieces.Count; i++)
        {
            await stream.WriteAsync(_pieces[i], cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    /// <inheritdoc />
    protected override bool TryComputeLength(out long length)
    {
        length = _length;
        return true;
    }
}
