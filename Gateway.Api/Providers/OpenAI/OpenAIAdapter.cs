using System.Buffers;
using System.Net;
using System.Text;
using System.Text.Json;
using Switchboard.Contracts.Routing;

namespace Switchboard.Gateway.Providers.OpenAI;

/// <summary>
/// The <c>openai</c> provider type (OpenAI, DeepSeek, Qwen, Mistral, Groq, vLLM, Ollama...): the client's bytes
/// go through untouched except <c>model</c> (the pinned target) and, for streams, <c>stream_options.include_usage</c>
/// (so usage is always known); Anthropic-only fields are dropped with a warning. Answers are relayed as they are.
/// </summary>
public sealed class OpenAIAdapter(TimeProvider timeProvider) : IProviderAdapter
{
    private const int MaxBodyBytes = 32 * 1024 * 1024;

    /// <summary>Fields only other providers understand: dropped, with a warning.</summary>
    private static readonly string[] Dropped = ["thinking", "top_k"];

    /// <inheritdoc />
    public string Type => ProviderTypes.OpenAI;

    /// <inheritdoc />
    public HttpRequestMessage CreateRequest(AttemptContext attempt)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        var endpoint = attempt.Provider;
        var request = new HttpRequestMessage(HttpMethod.Post, ChatUrl(endpoint.BaseUrl))
        {
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrHigher,
            Content = new SplicedJsonContent(RewriteBody(attempt)),
        };
        if (endpoint.ApiKey is { } key)
        {
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + key);
        }
        if (endpoint.Headers is { } headers)
        {
            foreach (var (name, value) in headers)
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
        }
        if (attempt.Stream)
        {
            request.Headers.TryAddWithoutValidation("Accept", "text/event-stream");
        }
        return request;
    }

    /// <summary>
    /// The client's top-level properties copied byte for byte, except <c>model</c> (replaced), dropped fields,
    /// and <c>stream_options</c> (made to ask for usage when streaming).
    /// </summary>
    internal static List<ReadOnlyMemory<byte>> RewriteBody(AttemptContext attempt)
    {
        var body = attempt.Request.Body;
        var pieces = new List<ReadOnlyMemory<byte>>(16) { Open };
        var reader = new Utf8JsonReader(body.Span, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
        reader.Read(); // StartObject (validated on arrival)
        var first = true;
        var sawStreamOptions = false;
        var sawModel = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var nameStart = (int)reader.TokenStartIndex;
            var isModel = reader.ValueTextEquals("model"u8);
            var isStreamOptions = reader.ValueTextEquals("stream_options"u8);
            string? dropped = null;
            foreach (var d in Dropped)
            {
                if (reader.ValueTextEquals(d))
                {
                    dropped = d;
                }
            }
            reader.Read();
            var valueStart = (int)reader.TokenStartIndex;
            reader.Skip();
            var end = (int)reader.BytesConsumed;
            if (dropped is not null)
            {
                attempt.Warnings.Add($"{attempt.Provider.Name}: dropped '{dropped}'");
                continue;
            }
            if (!first)
            {
                pieces.Add(Comma);
            }
            first = false;
            if (isModel)
            {
                sawModel = true;
                pieces.Add(body[nameStart..valueStart]);
                pieces.Add(JsonString(attempt.Model));
            }
            else if (isStreamOptions && attempt.Stream)
            {
                sawStreamOptions = true;
                pieces.Add(StreamOptions(body.Span[valueStart..end]));
            }
            else
            {
                pieces.Add(body[nameStart..end]);
            }
        }
        if (!sawModel)
        {
            pieces.Add(first ? "\"model\":"u8.ToArray() : ",\"model\":"u8.ToArray());
            pieces.Add(JsonString(attempt.Model));
            first = false;
        }
        if (attempt.Stream && !sawStreamOptions)
        {
            pieces.Add(first ? "\"stream_options\":{\"include_usage\":true}"u8.ToArray() : ",\"stream_options\":{\"include_usage\":true}"u8.ToArray());
        }
        pieces.Add(Close);
        return pieces;
    }

    private static readonly ReadOnlyMemory<byte> Open = "{"u8.ToArray();
    private static readonly ReadOnlyMemory<byte> Comma = ","u8.ToArray();
    private static readonly ReadOnlyMemory<byte> Close = "}"u8.ToArray();

    /// <summary>
    /// <c>{baseUrl}/chat/completions</c>, built once per base URL (a Uri is immutable; parsing one per request was
    /// measurable on the hot path).
    /// </summary>
    private static Uri ChatUrl(Uri baseUrl) =>
        ChatUrls.GetValue(baseUrl, static b => new Uri(b.OriginalString.TrimEnd('/') + "/chat/completions"));

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Uri, Uri> ChatUrls = [];

    /// <summary>
    /// Target models as JSON strings, encoded once. Capped: <c>provider/model</c> names are the client's choice.
    /// </summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte[]> ModelStrings = new(StringComparer.Ordinal);

    private static byte[] JsonString(string value)
    {
        if (ModelStrings.TryGetValue(value, out var cached))
        {
            return cached;
        }
        var encoded = EncodeJsonString(value);
        if (ModelStrings.Count < 1024 && value.Length <= 256)
        {
            ModelStrings.TryAdd(value, encoded);
        }
        return encoded;
    }

    private static byte[] EncodeJsonString(string value)
    {
        var buffer = new ArrayBufferWriter<byte>(value.Length + 8);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStringValue(value);
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// The <c>"stream_options":{...}</c> property asking for usage, keeping the client's other options byte for byte.
    /// </summary>
    private static byte[] StreamOptions(ReadOnlySpan<byte> existing)
    {
        var buffer = new ArrayBufferWriter<byte>(64 + existing.Length);
        buffer.Write("\"stream_options\":{\"include_usage\":true"u8);
        var reader = new Utf8JsonReader(existing);
        if (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
        {
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var start = (int)reader.TokenStartIndex;
                var isIncludeUsage = reader.ValueTextEquals("include_usage"u8);
                reader.Read();
                reader.Skip();
                if (!isIncludeUsage)
                {
                    buffer.Write(","u8);
                    buffer.Write(existing[start..(int)reader.BytesConsumed]);
                }
            }
        }
        buffer.Write("}"u8);
        return buffer.WrittenSpan.ToArray();
    }

    /// <inheritdoc />
    public async ValueTask<TranslatedCompletion> ReadCompletionAsync(HttpResponseMessage response, AttemptContext attempt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(attempt);
        var body = await UpstreamHttp.ReadBodyAsync(response, MaxBodyBytes, cancellationToken).ConfigureAwait(false);
        var scan = OpenAIJsonScanner.ScanCompletion(body, attempt.Model);
        return new TranslatedCompletion(body, scan.Usage, scan.Model, scan.FinishReason);
    }

    /// <inheritdoc />
    public IStreamTranslator CreateStreamTranslator(AttemptContext attempt)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        return new OpenAIStreamTranslator(attempt.Request.IncludeUsage, attempt.Provider);
    }

    /// <inheritdoc />
    public async ValueTask<UpstreamError> ReadErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        var status = (int)response.StatusCode;
        var retryAfter = UpstreamHttp.RetryAfter(response, timeProvider);
        byte[] body;
        try
        {
            body = await UpstreamHttp.ReadBodyAsync(response, 64 * 1024, cancellationToken).ConfigureAwait(false);
        }
        catch (UpstreamProtocolException)
        {
            body = [];
        }
        var (type, message, code) = OpenAIJsonScanner.ScanError(body);
        message ??= body.Length > 0 && body.Length < 512 && body[0] != (byte)'{' ? Encoding.UTF8.GetString(body) : response.ReasonPhrase ?? $"HTTP {status}";
        if (code is not null && (type is null || code.Contains("context_length", StringComparison.Ordinal)))
        {
            type = code;
        }
        return new UpstreamError(status, type, message, retryAfter);
    }
}
