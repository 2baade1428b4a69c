using System.Text.Json;

namespace Switchboard.Gateway.Providers;

/// <summary>
/// The client's Chat Completions request, checked once on arrival and shared (read-only) by every attempt.
/// <see cref="Body"/> keeps the exact bytes for pass-through to OpenAI-compatible upstreams; <see cref="Root"/>
/// is a parsed document for the translating adapters, built on first use only, so the pass-through path never
/// builds a JSON DOM. The request owns the document and disposes it.
/// </summary>
public sealed class ChatRequest : IDisposable
{
    /// <summary>The nesting depth every reader and writer of a request accepts.</summary>
    public const int MaxDepth = 64;

    private JsonDocument? _document;
    private bool _disposed;

    /// <summary>Wraps a request whose fields the caller has already read (the document is parsed when needed).</summary>
    public ChatRequest(ReadOnlyMemory<byte> body, string model, bool stream, bool includeUsage)
    {
        Body = body;
        Model = model;
        Stream = stream;
        IncludeUsage = stream && includeUsage;
    }

    /// <summary>Wraps a parsed request.</summary>
    public ChatRequest(ReadOnlyMemory<byte> body, JsonDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        Body = body;
        _document = document;
        var root = document.RootElement;
        Model = root.TryGetProperty("model", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : "";
        Stream = root.TryGetProperty("stream", out var s) && s.ValueKind == JsonValueKind.True;
        IncludeUsage = Stream && root.TryGetProperty("stream_options", out var so) && so.ValueKind == JsonValueKind.Object
            && so.TryGetProperty("include_usage", out var iu) && iu.ValueKind == JsonValueKind.True;
    }

    /// <summary>The exact bytes the client sent.</summary>
    public ReadOnlyMemory<byte> Body { get; }

    /// <summary>The parsed request (parsed on first use; safe to call from parallel attempts).</summary>
    public JsonElement Root
    {
        get
        {
            var document = Volatile.Read(ref _document);
            if (document is null)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                var parsed = JsonDocument.Parse(Body, new JsonDocumentOptions { MaxDepth = MaxDepth });
                document = Interlocked.CompareExchange(ref _document, parsed, null) ?? parsed;
                if (!ReferenceEquals(document, parsed))
                {
                    parsed.Dispose();
                }
            }
            return document.RootElement;
        }
    }

    /// <summary>The model (route or provider/model) the client asked for.</summary>
    public string Model { get; }

    /// <summary><c>"stream": true</c>.</summary>
    public bool Stream { get; }

    /// <summary><c>stream_options.include_usage</c>: the client wants the final usage chunk.</summary>
    public bool IncludeUsage { get; }

    /// <inheritdoc />
    public void Dispose()
    {
        _disposed = true;
        Interlocked.Exchange(ref _document, null)?.Dispose();
    }
}
