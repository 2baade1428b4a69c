using System.Buffers;
using System.Text.Json;

namespace Switchboard.Gateway.Providers.Anthropic;

/// <summary>
/// Turns Anthropic Messages SSE events into OpenAI <c>chat.completion.chunk</c> frames as they arrive. Events are read
/// with a <see cref="Utf8JsonReader"/> straight from the relay's buffer; text and argument fragments are copied to the
/// output as the JSON string tokens they already are, never unescaped and re-escaped.
/// </summary>
public sealed class AnthropicStreamTranslator : IStreamTranslator
{
    private readonly string _id;
    private readonly long _created;
    private readonly bool _includeUsage;
    private readonly ProviderEndpoint _provider;
    private readonly Utf8JsonWriter _writer = new(Stream.Null, OpenAiWire.WriterOptions);
    // Per Anthropic content block: the OpenAI tool_calls index (-1 when the block is not a tool_use) and whether any
    // argument fragment was sent. Blocks are numbered 0..n in order, so a list indexed by block is enough.
    private readonly List<ToolSlot> _blocks = [];
    private string _model;
    private int _toolCalls;
    private bool _finishWritten;
    private bool _usageWritten;

    /// <summary>Creates the translator of one attempt's stream.</summary>
    public AnthropicStreamTranslator(AttemptContext attempt)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        _id = OpenAiWire.CompletionId(attempt.ResponseId);
        _created = attempt.CreatedUnix;
        _includeUsage = attempt.Request.IncludeUsage;
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
        Event e;
        try
        {
            e = Event.Parse(data);
        }
        catch (JsonException ex)
        {
            throw new UpstreamProtocolException($"Malformed Anthropic stream event: {ex.Message}", ex);
        }
        var type = e.Type != EventType.Unknown ? e.Type : Event.TypeOf(eventName);
        switch (type)
        {
            case EventType.MessageStart:
                if (e.Model.Length > 0)
                {
                    ReportedModel = Event.ReadString(data, e.Model);
                    _model = ReportedModel;
                }
                if (e.Usage.Present)
                {
                    Usage = e.Usage.Apply(Usage);
                }
                OpenAiWire.BeginFrame(output);
                BeginChunk(output);
                _writer.WriteString("role"u8, "assistant"u8);
                _writer.WriteString("content"u8, ""u8);
                EndChunk(output, null);
                break;

            case EventType.ContentBlockStart:
                OnBlockStart(e, data, output);
                break;

            case EventType.ContentBlockDelta:
                OnBlockDelta(e, data, output);
                break;

            case EventType.ContentBlockStop:
                // A tool with no parameters may stream no argument fragment at all; OpenAI clients parse
                // the arguments, so give them the empty object.
                if (e.Index >= 0 && e.Index < _blocks.Count && _blocks[e.Index] is { Tool: >= 0, HasArguments: false } slot)
                {
                    WriteToolArguments(output, slot.Tool, "\"{}\""u8);
                    _blocks[e.Index] = slot with { HasArguments = true };
                }
                break;

            case EventType.MessageDelta:
                if (e.Usage.Present)
                {
                    Usage = e.Usage.Apply(Usage);
                }
                if (e.StopReason.Length > 0 && !_finishWritten)
                {
                    var finish = Event.MapStopReason(data.Slice(e.StopReason.Start + 1, e.StopReason.Length - 2));
                    WriteFinish(output, finish);
                }
                break;

            case EventType.MessageStop:
                if (!_finishWritten)
                {
                    WriteFinish(output, _toolCalls > 0 ? "tool_calls" : "stop");
                }
                Completed = true;
                break;

            case EventType.Error:
                var errorType = e.ErrorType.Length > 0 ? Event.ReadString(data, e.ErrorType) : "api_error";
                var message = e.ErrorMessage.Length > 0 ? Event.ReadString(data, e.ErrorMessage) : "Anthropic reported an error in the stream.";
                StreamError = SecretRedactor.Redact(new UpstreamError(AnthropicErrors.StatusForType(System.Text.Encoding.UTF8.GetBytes(errorType)), errorType, message), _provider);
                OpenAiWire.WriteErrorFrame(output, _writer, StreamError);
                break;

            default:
                break; // ping, and event types added after this was written (Anthropic's versioning policy)
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

    private void OnBlockStart(in Event e, ReadOnlySpan<byte> data, IBufferWriter<byte> output)
    {
        while (_blocks.Count <= e.Index)
        {
            _blocks.Add(new ToolSlot(-1, false));
        }
        if (e.BlockType == BlockType.ToolUse)
        {
            var tool = _toolCalls++;
            _blocks[e.Index] = new ToolSlot(tool, false);
            SawFirstToken = true;
            OpenAiWire.BeginFrame(output);
            BeginChunk(output);
            _writer.WriteStartArray("tool_calls"u8);
            _writer.WriteStartObject();
            _writer.WriteNumber("index"u8, tool);
            if (e.BlockId.Length > 0)
            {
                _writer.WritePropertyName("id"u8);
                _writer.WriteRawValue(data.Slice(e.BlockId.Start, e.BlockId.Length), skipInputValidation: true);
            }
            _writer.WriteString("type"u8, "function"u8);
            _writer.WriteStartObject("function"u8);
            if (e.BlockName.Length > 0)
            {
                _writer.WritePropertyName("name"u8);
                _writer.WriteRawValue(data.Slice(e.BlockName.Start, e.BlockName.Length), skipInputValidation: true);
            }
            _writer.WriteString("arguments"u8, ""u8);
            _writer.WriteEndObject();
            _writer.WriteEndObject();
            _writer.WriteEndArray();
            EndChunk(output, null);
        }
        else if (e.BlockType == BlockType.Text && e.Value.Length > 2)
        {
            WriteText(output, "content"u8, e.Value, data);
        }
    }

    private void OnBlockDelta(in Event e, ReadOnlySpan<byte> data, IBufferWriter<byte> output)
    {
        if (e.Value.Length <= 2)
        {
            return; // "" fragments carry nothing
        }
        switch (e.DeltaType)
        {
            case DeltaType.Text:
                WriteText(output, "content"u8, e.Value, data);
                break;
            case DeltaType.Thinking:
                WriteText(output, "reasoning_content"u8, e.Value, data);
                break;
            case DeltaType.InputJson:
                if (e.Index >= 0 && e.Index < _blocks.Count && _blocks[e.Index] is { Tool: >= 0 } slot)
                {
                    WriteToolArguments(output, slot.Tool, data.Slice(e.Value.Start, e.Value.Length));
                    if (!slot.HasArguments)
                    {
                        _blocks[e.Index] = slot with { HasArguments = true };
                    }
                }
                break;
            default:
                break; // signature_delta, citations_delta: nothing to relay in the OpenAI shape
        }
    }

    private void WriteText(IBufferWriter<byte> output, ReadOnlySpan<byte> field, Span value, ReadOnlySpan<byte> data)
    {
        SawFirstToken = true;
        OpenAiWire.BeginFrame(output);
        BeginChunk(output);
        _writer.WritePropertyName(field);
        _writer.WriteRawValue(data.Slice(value.Start, value.Length), skipInputValidation: true);
        EndChunk(output, null);
    }

    private void WriteToolArguments(IBufferWriter<byte> output, int tool, ReadOnlySpan<byte> rawJsonString)
    {
        OpenAiWire.BeginFrame(output);
        BeginChunk(output);
        _writer.WriteStartArray("tool_calls"u8);
        _writer.WriteStartObject();
        _writer.WriteNumber("index"u8, tool);
        _writer.WriteStartObject("function"u8);
        _writer.WritePropertyName("arguments"u8);
        _writer.WriteRawValue(rawJsonString, skipInputValidation: true);
        _writer.WriteEndObject();
        _writer.WriteEndObject();
        _writer.WriteEndArray();
        EndChunk(output, null);
    }

    private void WriteFinish(IBufferWriter<byte> output, string finish)
    {
        FinishReason = finish;
        _finishWritten = true;
        OpenAiWire.BeginFrame(output);
        BeginChunk(output);
        EndChunk(output, finish);
    }

    // {"id":..,"object":"chat.completion.chunk",..,"choices":[{"index":0,"delta":{
    private void BeginChunk(IBufferWriter<byte> output)
    {
        _writer.Reset(output);
        OpenAiWire.WriteChunkHeader(_writer, _id, _created, _model);
        _writer.WriteStartArray("choices"u8);
        _writer.WriteStartObject();
        _writer.WriteNumber("index"u8, 0);
        _writer.WriteStartObject("delta"u8);
    }

    // }, "logprobs": null, "finish_reason": ...}]}
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

    private readonly record struct ToolSlot(int Tool, bool HasArguments);

    // ---- event parsing -----------------------------------------------------------------------------------------

    /// <summary>A JSON string token in the event data, quotes included (so it can be written back as is).</summary>
    private readonly record struct Span(int Start, int Length);

    private enum EventType : byte { Unknown, MessageStart, ContentBlockStart, ContentBlockDelta, ContentBlockStop, MessageDelta, MessageStop, Ping, Error }

    private enum BlockType : byte { Other, Text, ToolUse, Thinking }

    private enum DeltaType : byte { Other, Text, InputJson, Thinking }

    private enum Scope : byte { Root, Delta, ContentBlock, Message, Usage, Error }

    private struct UsageFields
    {
        public bool Present;
        public int Input, Output, CacheRead, CacheWrite;

        public static UsageFields Missing => new() { Input = -1, Output = -1, CacheRead = -1, CacheWrite = -1 };

        public readonly TokenUsage Apply(TokenUsage? previous)
        {
            var input = Input >= 0 ? Input : previous is null ? 0 : previous.Input - previous.CachedInput - previous.CacheWrite;
            var cacheRead = CacheRead >= 0 ? CacheRead : previous?.CachedInput ?? 0;
            var cacheWrite = CacheWrite >= 0 ? CacheWrite : previous?.CacheWrite ?? 0;
            var output = Output >= 0 ? Output : previous?.Output ?? 0;
            return new TokenUsage(input + cacheRead + cacheWrite, output, cacheRead, cacheWrite);
        }
    }

    private struct Event
    {
        public EventType Type;
        public int Index;
        public BlockType BlockType;
        public DeltaType DeltaType;
        public Span Value;       // delta text / partial_json / thinking, or content_block.text
        public Span StopReason;
        public Span BlockId, BlockName, Model, ErrorType, ErrorMessage;
        public UsageFields Usage;

        public static Event Parse(ReadOnlySpan<byte> data)
        {
            var e = new Event { Index = -1, Usage = UsageFields.Missing };
            var reader = new Utf8JsonReader(data);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw new JsonException("The event data is not a JSON object.");
            }
            ReadObject(ref reader, Scope.Root, ref e);
            return e;
        }

        private static void ReadObject(ref Utf8JsonReader reader, Scope scope, ref Event e)
        {
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.ValueSpan;
                if (!reader.Read())
                {
                    throw new JsonException("Truncated event.");
                }
                var kind = reader.TokenType;
                if (kind == JsonTokenType.StartObject)
                {
                    Scope? child = null;
                    if (scope == Scope.Root)
                    {
                        child = name.SequenceEqual("delta"u8) ? Scope.Delta
                            : name.SequenceEqual("content_block"u8) ? Scope.ContentBlock
                            : name.SequenceEqual("message"u8) ? Scope.Message
                            : name.SequenceEqual("usage"u8) ? Scope.Usage
                            : name.SequenceEqual("error"u8) ? Scope.Error
                            : null;
                    }
                    else if (scope == Scope.Message && name.SequenceEqual("usage"u8))
                    {
                        child = Scope.Usage;
                    }
                    if (child is { } c)
                    {
                        ReadObject(ref reader, c, ref e);
                    }
                    else
                    {
                        reader.Skip();
                    }
                    continue;
                }
                if (kind == JsonTokenType.StartArray)
                {
                    reader.Skip();
                    continue;
                }
                Capture(ref reader, scope, name, ref e);
            }
            if (reader.TokenType != JsonTokenType.EndObject)
            {
                throw new JsonException("Truncated event.");
            }
        }

        private static void Capture(ref Utf8JsonReader reader, Scope scope, ReadOnlySpan<byte> name, ref Event e)
        {
            var isString = reader.TokenType == JsonTokenType.String;
            switch (scope)
            {
                case Scope.Root:
                    if (isString && name.SequenceEqual("type"u8))
                    {
                        e.Type = TypeOf(reader.ValueSpan);
                    }
                    else if (reader.TokenType == JsonTokenType.Number && name.SequenceEqual("index"u8))
                    {
                        e.Index = reader.GetInt32();
                    }
                    break;
                case Scope.Delta:
                    if (!isString)
                    {
                        break;
                    }
                    if (name.SequenceEqual("type"u8))
                    {
                        e.DeltaType = reader.ValueTextEquals("text_delta"u8) ? DeltaType.Text
                            : reader.ValueTextEquals("input_json_delta"u8) ? DeltaType.InputJson
                            : reader.ValueTextEquals("thinking_delta"u8) ? DeltaType.Thinking
                            : DeltaType.Other;
                    }
                    else if (name.SequenceEqual("text"u8) || name.SequenceEqual("partial_json"u8) || name.SequenceEqual("thinking"u8))
                    {
                        e.Value = Token(ref reader);
                    }
                    else if (name.SequenceEqual("stop_reason"u8))
                    {
                        e.StopReason = Token(ref reader);
                    }
                    break;
                case Scope.ContentBlock:
                    if (!isString)
                    {
                        break;
                    }
                    if (name.SequenceEqual("type"u8))
                    {
                        e.BlockType = reader.ValueTextEquals("text"u8) ? BlockType.Text
                            : reader.ValueTextEquals("tool_use"u8) ? BlockType.ToolUse
                            : reader.ValueTextEquals("thinking"u8) ? BlockType.Thinking
                            : BlockType.Other;
                    }
                    else if (name.SequenceEqual("id"u8))
                    {
                        e.BlockId = Token(ref reader);
                    }
                    else if (name.SequenceEqual("name"u8))
                    {
                        e.BlockName = Token(ref reader);
                    }
                    else if (name.SequenceEqual("text"u8))
                    {
                        e.Value = Token(ref reader);
                    }
                    break;
                case Scope.Message:
                    if (isString && name.SequenceEqual("model"u8))
                    {
                        e.Model = Token(ref reader);
                    }
                    break;
                case Scope.Usage:
                    if (reader.TokenType != JsonTokenType.Number)
                    {
                        break;
                    }
                    e.Usage.Present = true;
                    if (name.SequenceEqual("input_tokens"u8))
                    {
                        e.Usage.Input = reader.GetInt32();
                    }
                    else if (name.SequenceEqual("output_tokens"u8))
                    {
                        e.Usage.Output = reader.GetInt32();
                    }
                    else if (name.SequenceEqual("cache_read_input_tokens"u8))
                    {
                        e.Usage.CacheRead = reader.GetInt32();
                    }
                    else if (name.SequenceEqual("cache_creation_input_tokens"u8))
                    {
                        e.Usage.CacheWrite = reader.GetInt32();
                    }
                    break;
                case Scope.Error:
                    if (isString && name.SequenceEqual("type"u8))
                    {
                        e.ErrorType = Token(ref reader);
                    }
                    else if (isString && name.SequenceEqual("message"u8))
                    {
                        e.ErrorMessage = Token(ref reader);
                    }
                    break;
            }
        }

        // The whole string token, quotes included: the reader validated it, so it is valid JSON to copy as is.
        private static Span Token(ref Utf8JsonReader reader) =>
            new((int)reader.TokenStartIndex, reader.ValueSpan.Length + 2);

        public static EventType TypeOf(ReadOnlySpan<byte> type) =>
            type.SequenceEqual("content_block_delta"u8) ? EventType.ContentBlockDelta
            : type.SequenceEqual("content_block_start"u8) ? EventType.ContentBlockStart
            : type.SequenceEqual("content_block_stop"u8) ? EventType.ContentBlockStop
            : type.SequenceEqual("message_start"u8) ? EventType.MessageStart
            : type.SequenceEqual("message_delta"u8) ? EventType.MessageDelta
            : type.SequenceEqual("message_stop"u8) ? EventType.MessageStop
            : type.SequenceEqual("ping"u8) ? EventType.Ping
            : type.SequenceEqual("error"u8) ? EventType.Error
            : EventType.Unknown;

        public static string ReadString(ReadOnlySpan<byte> data, Span token)
        {
            var reader = new Utf8JsonReader(data.Slice(token.Start, token.Length));
            reader.Read();
            return reader.GetString() ?? "";
        }

        public static string MapStopReason(ReadOnlySpan<byte> stopReason) =>
            stopReason.SequenceEqual("end_turn"u8) || stopReason.SequenceEqual("stop_sequence"u8) ? "stop"
            : stopReason.SequenceEqual("max_tokens"u8) || stopReason.SequenceEqual("model_context_window_exceeded"u8) ? "length"
            : stopReason.SequenceEqual("tool_use"u8) ? "tool_calls"
            : stopReason.SequenceEqual("refusal"u8) ? "content_filter"
            : "stop";
    }
}
