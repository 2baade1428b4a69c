namespace Switchboard.Gateway.Providers;

// Shared by the translating adapters (Anthropic, Gemini). It lives in the Anthropic folder only because of folder
// ownership while issue 4 is built in parallel; the namespace is the providers' one so it can move without churn.

/// <summary>
/// The client's request has a shape the adapter cannot translate for its provider (for example an image URL with an
/// unsupported scheme, or tool-call arguments that are not a JSON object). The pipeline maps it to a 400 in the OpenAI
/// error shape, naming <see cref="Param"/> when known.
/// </summary>
public sealed class RequestTranslationException : Exception
{
    /// <summary>Creates the exception.</summary>
    public RequestTranslationException() { }

    /// <summary>Creates the exception.</summary>
    public RequestTranslationException(string message) : base(message) { }

    /// <summary>Creates the exception with its cause.</summary>
    public RequestTranslationException(string message, Exception inner) : base(message, inner) { }

    /// <summary>Creates the exception naming the offending request field (OpenAI error <c>param</c>).</summary>
    public RequestTranslationException(string message, string? param, Exception? inner = null) : base(message, inner) => Param = param;

    /// <summary>The request field at fault, e.g. <c>messages[2].content[0].image_url.url</c>.</summary>
    public string? Param { get; }
}
