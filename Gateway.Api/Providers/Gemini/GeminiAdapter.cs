using System.Text.Json;

namespace Switchboard.Gateway.Providers.Gemini;

/// <summary>
/// The <c>gemini</c> provider type: OpenAI Chat Completions in and out, Gemini <c>generateContent</c> /
/// <c>streamGenerateContent?alt=sse</c> on the wire. Stateless and shared by every attempt.
/// </summary>
public sealed class GeminiAdapter(TimeProvider timeProvider) : IProviderAdapter
{
    private const int MaxErrorBodyBytes = 64 * 1024;
    private const int MaxBodyBytes = 32 * 1024 * 1024;

    /// <summary>Creates the adapter on the system clock.</summary>
    public GeminiAdapter() : this(TimeProvider.System) { }

    /// <inheritdoc />
    public string Type => "gemini";

    /// <inheritdoc />
    public HttpRequestMessage CreateRequest(AttemptContext attempt)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        var body = new PooledBufferWriter();
        try
        {
            GeminiRequestWriter.Write(attempt, body);
        }
        catch
        {
            body.Dispose();
            throw;
        }
        var request = new HttpRequestMessage(HttpMethod.Post, GenerateUri(attempt.Provider.BaseUrl, attempt.Model, attempt.Stream))
        {
            Content = new PooledJsonContent(body),
        };
        if (attempt.Provider.Headers is { } extra)
        {
            foreach (var (name, value) in extra)
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
        }
        if (!string.IsNullOrEmpty(attempt.Provider.ApiKey))
        {
            // A header, never ?key=: URLs end up in logs and traces.
            request.Headers.TryAddWithoutValidation("x-goog-api-key", attempt.Provider.ApiKey);
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
            throw new UpstreamProtocolException($"Gemini answered with malformed JSON: {ex.Message}", ex);
        }
        using (document)
        {
            return GeminiResponseTranslator.Translate(document.RootElement, attempt);
        }
    }

    /// <inheritdoc />
    public IStreamTranslator CreateStreamTranslator(AttemptContext attempt) => new GeminiStreamTranslator(attempt);

    /// <inheritdoc />
    public async ValueTask<UpstreamError> ReadErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        var body = await OpenAiWire.ReadBoundedAsync(response.Content, MaxErrorBodyBytes, cancellationToken).ConfigureAwait(false);
        return GeminiErrors.Parse((int)response.StatusCode, body, OpenAiWire.RetryAfter(response, timeProvider));
    }

    /// <summary>
    /// <c>{baseUrl}/v1beta/models/{model}:generateContent</c> or <c>:streamGenerateContent?alt=sse</c>. A base URL
    /// that already names the API version (<c>/v1beta</c> or <c>/v1</c>) keeps it.
    /// </summary>
    public static Uri GenerateUri(Uri baseUrl, string model, bool stream)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        ArgumentNullException.ThrowIfNull(model);
        var root = baseUrl.AbsoluteUri.TrimEnd('/');
        if (!root.EndsWith("/v1beta", StringComparison.Ordinal) && !root.EndsWith("/v1", StringComparison.Ordinal))
        {
            root += "/v1beta";
        }
        var name = model.StartsWith("models/", StringComparison.Ordinal) ? model["models/".Length..] : model;
        var method = stream ? ":streamGenerateContent?alt=sse" : ":generateContent";
        return new Uri($"{root}/models/{Uri.EscapeDataString(name)}{method}");
    }
}
