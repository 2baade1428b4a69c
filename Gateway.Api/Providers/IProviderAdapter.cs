using System.Buffers;

namespace Switchboard.Gateway.Providers;

/// <summary>
/// Translates one attempt between the OpenAI Chat Completions surface and a provider's wire protocol.
/// Adapters know nothing of routing: the attempt pipeline calls them, never the reverse. One adapter per
/// provider type (openai, anthropic, gemini), stateless and shared; per-stream state lives in the
/// <see cref="IStreamTranslator"/> it creates.
/// </summary>
public interface IProviderAdapter
{
    /// <summary>The provider type this adapter speaks: openai, anthropic or gemini.</summary>
    string Type { get; }

    /// <summary>
    /// Builds the upstream request of one attempt: URL, authentication, headers and body (always asking the
    /// upstream to stream when <see cref="AttemptContext.Stream"/> is set, and to report usage).
    /// Fields the provider cannot express are dropped and named in <see cref="AttemptContext.Warnings"/>.
    /// </summary>
    HttpRequestMessage CreateRequest(AttemptContext attempt);

    /// <summary>
    /// Reads a successful (2xx) non-streaming upstream answer and translates it into an OpenAI
    /// <c>chat.completion</c> object. Throws <see cref="UpstreamProtocolException"/> when the body is malformed.
    /// </summary>
    ValueTask<TranslatedCompletion> ReadCompletionAsync(HttpResponseMessage response, AttemptContext attempt, CancellationToken cancellationToken);

    /// <summary>Creates the per-stream translator of a successful streaming answer.</summary>
    IStreamTranslator CreateStreamTranslator(AttemptContext attempt);

    /// <summary>Reads a non-2xx upstream answer into a secret-free error the pipeline classifies and may relay.</summary>
    ValueTask<UpstreamError> ReadErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken);
}

/// <summary>
/// Turns a provider's SSE events into OpenAI <c>chat.completion.chunk</c> SSE frames. The relay parses the
/// upstream SSE stream into events and calls <see cref="OnEvent"/> for each as it arrives, then flushes what
/// was written, so chunk timing is preserved.
/// </summary>
public interface IStreamTranslator
{
    /// <summary>
    /// Handles one upstream SSE event (<paramref name="eventName"/> is empty when the frame had no
    /// <c>event:</c> line). Writes zero or more complete frames (<c>data: {...}\n\n</c>) to
    /// <paramref name="output"/>. Throws <see cref="UpstreamProtocolException"/> on a malformed event.
    /// </summary>
    void OnEvent(ReadOnlySpan<byte> eventName, ReadOnlySpan<byte> data, IBufferWriter<byte> output);

    /// <summary>True once a content, reasoning or tool-call token has been written (time to first token).</summary>
    bool SawFirstToken { get; }

    /// <summary>True once the upstream signalled a clean end (<c>[DONE]</c>, <c>message_stop</c>, final finishReason).</summary>
    bool Completed { get; }

    /// <summary>An error the upstream reported inside the stream (Anthropic <c>error</c> event), if any.</summary>
    UpstreamError? StreamError { get; }

    /// <summary>Usage the upstream reported so far.</summary>
    TokenUsage? Usage { get; }

    /// <summary>The model the upstream said it used.</summary>
    string? ReportedModel { get; }

    /// <summary>The OpenAI finish_reason of the (first) choice, once known.</summary>
    string? FinishReason { get; }

    /// <summary>
    /// Writes the end of a clean stream: a usage chunk when the client asked for one
    /// (<see cref="ChatRequest.IncludeUsage"/>) and the translator has not written it yet, then <c>data: [DONE]</c>.
    /// </summary>
    void Complete(IBufferWriter<byte> output);
}

/// <summary>Everything an adapter needs for one attempt.</summary>
public sealed record AttemptContext
{
    /// <summary>The client's request, parsed once.</summary>
    public required ChatRequest Request { get; init; }
    /// <summary>The provider endpoint (resolved base URL and credential).</summary>
    public required ProviderEndpoint Provider { get; init; }
    /// <summary>The pinned upstream model of this target.</summary>
    public required string Model { get; init; }
    /// <summary>max_tokens for providers that require one when the client gave none.</summary>
    public int DefaultMaxTokens { get; init; } = 4096;
    /// <summary>The id used for <c>chatcmpl-…</c> ids.</summary>
    public required string ResponseId { get; init; }
    /// <summary>Unix seconds for the <c>created</c> field.</summary>
    public required long CreatedUnix { get; init; }
    /// <summary>Warnings to return in <c>x-switchboard-warning</c> (fields dropped for this provider).</summary>
    public required WarningSet Warnings { get; init; }
    /// <summary>True when the client asked for a stream.</summary>
    public bool Stream => Request.Stream;
    /// <summary>The client's W3C <c>traceparent</c>, forwarded upstream when no tracing of our own propagates one.</summary>
    public string? TraceParent { get; init; }
    /// <summary>The client's W3C <c>tracestate</c>, forwarded with <see cref="TraceParent"/>.</summary>
    public string? TraceState { get; init; }
}

/// <summary>A provider endpoint as the adapters see it: no routing, just where and how to call.</summary>
/// <param name="Name">Provider name from the routing document.</param>
/// <param name="Type">openai, anthropic or gemini.</param>
/// <param name="BaseUrl">Resolved base URL (no trailing slash).</param>
/// <param name="ApiKey">Resolved credential; never logged.</param>
/// <param name="Headers">Extra headers for every request.</param>
/// <param name="ApiVersion">Anthropic API version.</param>
public sealed record ProviderEndpoint(
    string Name,
    string Type,
    Uri BaseUrl,
    string? ApiKey,
    IReadOnlyDictionary<string, string>? Headers = null,
    string? ApiVersion = null)
{
    /// <inheritdoc />
    public override string ToString() => $"{Name} ({Type}, {BaseUrl})"; // never the key
}

/// <summary>A translated non-streaming answer.</summary>
/// <param name="Body">The OpenAI <c>chat.completion</c> JSON for the client.</param>
/// <param name="Usage">Usage reported by the upstream, if any.</param>
/// <param name="ReportedModel">Model the upstream reported.</param>
/// <param name="FinishReason">finish_reason of the first choice.</param>
public sealed record TranslatedCompletion(ReadOnlyMemory<byte> Body, TokenUsage? Usage, string? ReportedModel, string? FinishReason);

/// <summary>Token usage of one attempt.</summary>
/// <param name="Input">Prompt tokens in all (cached included).</param>
/// <param name="Output">Completion tokens in all (reasoning included).</param>
/// <param name="CachedInput">Prompt tokens read from cache.</param>
/// <param name="CacheWrite">Prompt tokens written to cache.</param>
/// <param name="Reasoning">Reasoning tokens.</param>
public sealed record TokenUsage(int Input, int Output, int CachedInput = 0, int CacheWrite = 0, int Reasoning = 0);

/// <summary>A failed upstream answer, secret-free.</summary>
/// <param name="Status">Upstream HTTP status (0 when none).</param>
/// <param name="Type">Provider error type, e.g. rate_limit_error, overloaded_error.</param>
/// <param name="Message">Provider message, safe to show the client.</param>
/// <param name="RetryAfter">Retry-After the upstream asked for.</param>
public sealed record UpstreamError(int Status, string? Type, string Message, TimeSpan? RetryAfter = null);

/// <summary>The upstream answer did not follow its protocol (truncated JSON, invalid SSE, missing fields).</summary>
public sealed class UpstreamProtocolException : Exception
{
    /// <summary>Creates the exception.</summary>
    public UpstreamProtocolException(string message) : base(message) { }
    /// <summary>Creates the exception with its cause.</summary>
    public UpstreamProtocolException(string message, Exception inner) : base(message, inner) { }
    /// <summary>Creates the exception.</summary>
    public UpstreamProtocolException() { }
}

/// <summary>Warnings collected during one request, returned as <c>x-switchboard-warning</c>.</summary>
public sealed class WarningSet
{
    private List<string>? _items;

    /// <summary>Adds a warning (duplicates ignored).</summary>
    public void Add(string warning)
    {
        _items ??= [];
        if (!_items.Contains(warning))
        {
            _items.Add(warning);
        }
    }

    /// <summary>The warnings, in order.</summary>
    public IReadOnlyList<string> Items => (IReadOnlyList<string>?)_items ?? [];
}
