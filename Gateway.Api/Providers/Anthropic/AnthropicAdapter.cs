using System.Text.Json;

namespace Switchboard.Gateway.Providers.Anthropic;

/// <summary>
/// The <c>anthropic</c> provider type: OpenAI Chat Completions in and out, Anthropic Messages
/// (<c>POST {baseUrl}/v1/messages</c>) on the wire. Stateless and shared by every attempt.
/// </summary>
public sealed class AnthropicAdapter(TimeProvider timeProvider) : IProviderAdapter
{
    /// <summary>The Messages API version sent when the provider does not pin one.</summary>
    public const string DefaultApiVersion = "2023-06-01";

    private const int MaxErrorBodyBytes = 64 * 1024;
    private const int MaxBodyBytes = 32 * 1024 * 1024;

    /// <summary>Creates the adapter on the system clock.</summary>
    public AnthropicAdapter() : this(TimeProvider.System) { }

    /// <inheritdoc />
    public string Type => "anthropic";

    /// <inheritdoc />
    public HttpRequestMessage CreateRequest(AttemptContext attempt)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        var body = new PooledBufferWriter();
        try
        {
            AnthropicRequestWriter.Write(attempt, body);
        }
        catch
        {
            body.Dispose();
            throw;
        }
        var request = new HttpRequestMessage(HttpMethod.Post, MessagesUri(attempt.Provider.BaseUrl))
        {
            Content = new PooledJsonContent(body),
        };
        var headers = request.Headers;
        if (attempt.Provider.Headers is { } extra)
        {
            foreach (var (name, value) in extra)
            {
                headers.TryAddWithoutValidation(name, value);
            }
        }
        if (!string.IsNullOrEmpty(attempt.Provider.ApiKey))
        {
            headers.TryAddWithoutValidation("x-api-key", attempt.Provider.ApiKey);
        }
        if (!headers.Contains("anthropic-version"))
        {
            headers.TryAddWithoutValidation("anthropic-version", attempt.Provider.ApiVersion ?? DefaultApiVersion);
        }
        if (attempt.Stream)
        {
            headers.TryAddWithoutValidation("accept", "text/event-stream");
        }
        return request;
    }

    /// <inheritdoc />
    public async ValueTask<TranslatedCompletion> ReadCompletionAsync(HttpResponseMessage response, AttemptContext attempt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(attempt);
        // Bounded: JsonDocument.ParseAsync would buffer an endless or gigantic body whole.
        var body = await UpstreamHttp.ReadBodyAsync(response, MaxBodyBytes, cancellationToken).ConfigureAwait(false);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException ex)
        {
            throw new UpstreamProtocolException($"Anthropic answered with malformed JSON: {ex.Message}", ex);
        }
        using (document)
        {
            return AnthropicResponseTranslator.Translate(document.RootElement, attempt);
        }
    }

    /// <inheritdoc />
    public IStreamTranslator CreateStreamTranslator(AttemptContext attempt) => new AnthropicStreamTranslator(attempt);

    /// <inheritdoc />
    public async ValueTask<UpstreamError> ReadErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        var body = await OpenAiWire.ReadBoundedAsync(response.Content, MaxErrorBodyBytes, cancellationToken).ConfigureAwait(false);
        return AnthropicErrors.Parse((int)response.StatusCode, body, OpenAiWire.RetryAfter(response, timeProvider));
    }

    /// <summary>
    /// <c>{baseUrl}/v1/messages</c>; a base URL that already ends in <c>/v1</c> (as some proxies document it) is
    /// not doubled.
    /// </summary>
    public static Uri MessagesUri(Uri baseUrl)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        var root = baseUrl.AbsoluteUri.TrimEnd('/');
        return new Uri(root.EndsWith("/v1", StringComparison.Ordinal) ? root + "/messages" : root + "/v1/messages");
    }
}
