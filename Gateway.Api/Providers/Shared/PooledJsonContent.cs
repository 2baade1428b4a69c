using System.Net;
using System.Net.Http.Headers;

namespace Switchboard.Gateway.Providers;

// Shared by the translating adapters; see RequestTranslationException.cs for why it lives in this folder.

/// <summary>
/// A JSON request body held in a pooled buffer; the buffer goes back to the pool when the request (and so its content)
/// is disposed. Length is known, so the upstream gets a Content-Length rather than chunked encoding.
/// </summary>
public sealed class PooledJsonContent : HttpContent
{
    private static readonly MediaTypeHeaderValue JsonMediaType = MediaTypeHeaderValue.Parse("application/json");

    private readonly PooledBufferWriter _body;

    /// <summary>Takes ownership of <paramref name="body"/>.</summary>
    public PooledJsonContent(PooledBufferWriter body)
    {
        ArgumentNullException.ThrowIfNull(body);
        _body = body;
        Headers.ContentType = JsonMediaType;
    }

    /// <summary>The body bytes (valid until the content is disposed).</summary>
    public ReadOnlyMemory<byte> Body => _body.WrittenMemory;

    /// <inheritdoc />
    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        stream.WriteAsync(_body.WrittenMemory).AsTask();

    /// <inheritdoc />
    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken) =>
        stream.WriteAsync(_body.WrittenMemory, cancellationToken).AsTask();

    /// <inheritdoc />
    protected override void SerializeToStream(Stream stream, TransportContext? context, CancellationToken cancellationToken) =>
        stream.Write(_body.WrittenSpan);

    /// <inheritdoc />
    protected override bool TryComputeLength(out long length)
    {
        length = _body.WrittenCount;
        return true;
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _body.Dispose();
        }
        base.Dispose(disposing);
    }
}
