using System.Buffers;
using System.Text.Json;

namespace Switchboard.Gateway.Providers.Gemini;

/// <summary>
/// Turns Gemini <c>streamGenerateContent?alt=sse</c> events into OpenAI <c>chat.completion.chunk</c> frames. Each
/// event is a whole <c>GenerateContentResponse</c> holding the next piece of each candidate; it is parsed into a
/// pooled <see cref="JsonDocument"/> and translated at once. Gemini sends function calls whole, so each becomes one
/// tool-call delta with its complete arguments.
/// </summary>
public sealed class GeminiStreamTranslator : IStreamTranslator
{
    private readonly string _id;
    private readonly long _created;
    private readonly bool _includeUsage;
    private readonly string _callPrefix;
    private readonly ProviderEndpoint _provider;
    private readonly Utf8JsonWriter _writer = new(Stream.Null, OpenAiWire.WriterOptions);
    private readonly List<Candidate> _candidates = [];
    private string _model;
    private bool _usageWritten;

    /// <summary>Creates the translator of one attempt's stream.</summary>
    public GeminiStreamTranslator(AttemptContext attempt)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        _id = OpenAiWire.CompletionId(attempt.ResponseId);
        _created = attempt.CreatedUnix;
        _includeUsage = attempt.Request.IncludeUsage;
        _callPrefix = GeminiResponseTranslator.ToolCallPrefix(attempt.ResponseId);
        _provider = attempt.Provider;
        _model = attempt.Model;
    }

    /// <inheritdoc />
    public bool SawFirstToken { get; private set; }

    /// <inheritdoc />
    public bool Completed { get; private set; }

    /// <inheritdoc />
    public UpstreamError? StreamError { get; private set; }

    /// <inheritdoc />
    public TokenUsage? Usage { get; private set; }

    /// <inheritdoc />
    public string? ReportedModel { get; private set; }

    /// <inheritdoc />
    public string? FinishReason { get; private set; }

    /// <inheritdoc />
    public void OnEvent(ReadOnlySpan<byte> eventName, ReadOnlySpan<byte> data, IBufferWriter<byte> output)
    {
        if (data.IsEmpty || data.IndexOfAnyExcept(" \t\r\n"u8) < 0)
        {
            return;
        }
        // JsonDocument needs memory it can keep while parsing: copy the event into a pooled array.
        var rented = ArrayPool<byte>.Shared.Rent(data.Length);
        try
        {
            data.CopyTo(rented);
            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(rented.AsMemory(0, data.Length));
            }
            catch (JsonException ex)
            {
                throw new UpstreamProtocolException($"Malformed Gemini stream event: {ex.Message}", ex);
            }
            using (document)
            {
                Translate(document.RootElement, output);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <inheritdoc />
    public void Complete(IBufferWriter<byte> output)
    {
        if (_includeUsage && !_usageWritten && Usage is not null)
        {
            OpenAiWire.WriteUsageFrame(output, _writer, _id, _created, _model, Usage);
            _usageWritten = true;
        }
        OpenAiWire.WriteDone(output);
    }

    private void Translate(JsonElement response, IBufferWriter<byte> output)
    {
        if (response.ValueKind != JsonValueKind.Object)
        {
            throw new UpstreamProtocolException("Gemini stream event is not a JSON object.");
        }
        if (response.TryGet("error"u8, out var error) && error.ValueKind == JsonValueKind.Object)
        {
            StreamError = SecretRedactor.Redact(GeminiErrors.FromError(error, 0, null), _provider);
            OpenAiWire.WriteErrorFrame(output, _writer, StreamError);
            return;
        }
        if (response.TryGetString("modelVersion"u8, out var modelVersion) && !modelVersion.ValueEquals(ReportedModel))
        {
            ReportedModel = modelVersion.GetString();
            _model = ReportedModel!;
        }
        if (response.TryGet("usageMetadata"u8, out var usage))
        {
            Usage = GeminiResponseTranslator.ReadUsage(usage);
        }
        if (response.TryGet("candidates"u8, out var candidates) && candidates.ValueKind == JsonValueKind.Array)
        {
            var position = 0;
            foreach (var candidate in candidates.EnumerateArray())
            {
                var index = candidate.TryGet("index"u8, out var ix) && ix.TryGetInt32(out var i) ? i : position;
                position++;
                TranslateCandidate(candidate, index, output);
            }
        }
        else if (_candidates.Count == 0 && response.TryGet("promptFeedback"u8, out var feedback) && feedback.TryGetString("blockReason"u8, out _))
        {
            // The prompt was blocked: no candidate will come.
            var state = StateOf(0, output);
            Finish(output, 0, "content_filter", ref state);
            _candidates[0] = state;
        }
        Completed = _candidates.Count > 0 && _candidates.TrueForAll(static c => c.Finished);
    }

    private void TranslateCandidate(JsonElement candidate, int index, IBufferWriter<byte> output)
    {
        var state = StateOf(index, output);
        if (candidate.TryGet("content"u8, out var content) && content.TryGet("parts"u8, out var parts) && parts.ValueKind == JsonValueKind.Array)
        {
            foreach (var part in parts.EnumerateArray())
            {
                if (part.TryGetString("text"u8, out var text))
                {
                    if (JsonText.IsEmptyString(text))
                    {
                        continue;
                    }
                    var isThought = part.TryGetProperty("thought"u8, out var th) && th.ValueKind == JsonValueKind.True;
                    SawFirstToken = true;
                    BeginChunk(output, index);
                    _writer.WritePropertyName(isThought ? "reasoning_content"u8 : "content"u8);
                    text.WriteTo(_writer);
                    EndChunk(output, null);
                }
                else if (part.TryGet("functionCall"u8, out var call))
                {
                    SawFirstToken = true;
                    BeginChunk(output, index);
                    _writer.WriteStartArray("tool_calls"u8);
                    GeminiResponseTranslator.WriteToolCall(_writer, call, index, state.Tools++, _callPrefix, streaming: true);
                    _writer.WriteEndArray();
                    EndChunk(output, null);
                }
            }
        }
        if (!state.Finished && candidate.TryGetString("finishReason"u8, out var reason))
        {
            Finish(output, index, GeminiResponseTranslator.MapFinishReason(JsonText.Utf8(reason), state.Tools > 0), ref state);
        }
        _candidates[index] = state;
    }

    private Candidate StateOf(int index, IBufferWriter<byte> output)
    {
        while (_candidates.Count <= index)
        {
            _candidates.Add(default);
        }
        var state = _candidates[index];
        if (!state.RoleSent)
        {
            state.RoleSent = true;
            BeginChunk(output, index);
            _writer.WriteString("role"u8, "assistant"u8);
            _writer.WriteString("content"u8, ""u8);
            EndChunk(output, null);
            _candidates[index] = state;
        }
        return state;
    }

    private void Finish(IBufferWriter<byte> output, int index, string finish, ref Candidate state)
    {
        state.Finished = true;
        if (index == 0)
        {
            FinishReason = finish;
        }
        BeginChunk(output, index);
        EndChunk(output, finish);
    }

    private void BeginChunk(IBufferWriter<byte> output, int index)
    {
        OpenAiWire.BeginFrame(output);
        _writer.Reset(output);
        OpenAiWire.WriteChunkHeader(_writer, _id, _created, _model);
        _writer.WriteStartArray("choices"u8);
        _writer.WriteStartObject();
        _writer.WriteNumber("index"u8, index);
        _writer.WriteStartObject("delta"u8);
    }

    private void EndChunk(IBufferWriter<byte> output, string? finish)
    {
        _writer.WriteEndObject();
        _writer.WriteNull("logprobs"u8);
        if (finish is null)
        {
            _writer.WriteNull("finish_reason"u8);
        }
        else
        {
            _writer.WriteString("finish_reason"u8, finish);
        }
        _writer.WriteEndObject();
        _writer.WriteEndArray();
        _writer.WriteEndObject();
        _writer.Flush();
        OpenAiWire.EndFrame(output);
    }

    private struct Candidate
    {
        public bool RoleSent;
        public bool Finished;
        public int Tools;
    }
}
