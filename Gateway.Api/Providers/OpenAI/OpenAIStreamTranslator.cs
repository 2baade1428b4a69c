using System.Buffers;
using System.Text;

namespace Switchboard.Gateway.Providers.OpenAI;

/// <summary>
/// Relays an OpenAI-compatible SSE stream frame for frame, noting what accounting needs as it passes: first
/// token, usage, reported model, finish reason. The upstream's <c>[DONE]</c> is held back (the relay writes it
/// in <see cref="Complete"/> only after a clean end); the usage chunk the gateway asked for is dropped when the
/// client did not ask for it.
/// </summary>
internal sealed class OpenAIStreamTranslator(bool includeUsage, ProviderEndpoint? provider = null) : IStreamTranslator, IOutputTextSource, IDisposable
{
    private readonly OutputTextCapture _capture = new();

    public bool SawFirstToken { get; private set; }
    public bool Completed { get; private set; }
    public UpstreamError? StreamError { get; private set; }
    public TokenUsage? Usage { get; private set; }
    public string? ReportedModel { get; private set; }
    public string? FinishReason { get; private set; }

    public void OnEvent(ReadOnlySpan<byte> eventName, ReadOnlySpan<byte> data, IBufferWriter<byte> output)
    {
        if (data.SequenceEqual("[DONE]"u8))
        {
            Completed = true;
            return;
        }
        if (SawFirstToken && ReportedModel is not null && OpenAIJsonScanner.TryScanPlainChunk(data, Usage is null ? _capture : null))
        {
            // Mid-stream text: nothing for accounting but the text (captured), relayed as it came.
            Write(output, data);
            return;
        }
        var scan = OpenAIJsonScanner.ScanChunk(data, Usage is null ? _capture : null);
        if (scan.HasModel && ReportedModel is null)
        {
            ReportedModel = Encoding.UTF8.GetString(scan.Model);
        }
        if (scan.Usage is not null)
        {
            Usage = scan.Usage;
        }
        FinishReason ??= scan.FinishReason;
        SawFirstToken |= scan.HasToken;
        if (scan.HasError)
        {
            StreamError = SecretRedactor.Redact(new UpstreamError(0, scan.ErrorType ?? "server_error", scan.ErrorMessage ?? "the upstream reported an error in the stream"), provider);
            // Relayed as it came, unless it echoes a credential.
            var raw = Encoding.UTF8.GetString(data);
            var redacted = SecretRedactor.Redact(raw, provider);
            if (!ReferenceEquals(raw, redacted) && raw != redacted)
            {
                Write(output, Encoding.UTF8.GetBytes(redacted));
                return;
            }
        }
        if (scan.Usage is not null && scan.Choices == 0 && !scan.HasError && !includeUsage)
        {
            return;
        }
        Write(output, data);
    }

    public void Complete(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.Write("data: [DONE]\n\n"u8);
    }

    public string CapturedText => _capture.Text;

    public void Dispose() => _capture.Dispose();

    private static void Write(IBufferWriter<byte> output, ReadOnlySpan<byte> data)
    {
        var span = output.GetSpan(data.Length + 8);
        "data: "u8.CopyTo(span);
        data.CopyTo(span[6..]);
        "\n\n"u8.CopyTo(span[(6 + data.Length)..]);
        output.Advance(data.Length + 8);
    }
}

/// <summary>A translator that kept the streamed text, so output tokens can be counted when usage is missing.</summary>
internal interface IOutputTextSource
{
    string CapturedText { get; }
}
