using System.Text.Json;

namespace Switchboard.Gateway.Providers;

/// <summary>
/// The client's Chat Completions request, parsed once on arrival and shared (read-only) by every attempt.
/// <see cref="Body"/> keeps the exact bytes for pass-through to OpenAI-compatible upstreams; <see cref="Root"/>
/// is the parsed document the translating adapters read. The request owns the document and disposes it.
/// </summary>
public sealed class ChatRequest : IDisposable
{
    private readonly JsonDocument _document;

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

    /// <summary>The parsed request.</summary>
    public JsonElement Root => _document.RootElement;

    /// <summary>The model (route or provider/model) the client asked for.</summary>
    public string Model { get; }

    /// <summary><c>"stream": true</c>.</summary>
    public bool Stream { get; }

    /// <summary><c>stream_options.include_usage</c>: the client wants the final usage chunk.</summary>
    public bool IncludeUsage { get; }

    /// <inheritdoc />
    public void Dispose() => _document.Dispose();
}
