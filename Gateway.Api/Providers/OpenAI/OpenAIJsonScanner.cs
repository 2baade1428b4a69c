using System.Text.Json;

namespace Switchboard.Gateway.Providers.OpenAI;

/// <summary>
/// Forward-only scans of OpenAI payloads (completion, chunk, error) with <see cref="Utf8JsonReader"/>: the few
/// fields accounting needs, no DOM, no copy of the body.
/// </summary>
internal static class OpenAIJsonScanner
{
    internal readonly record struct CompletionScan(TokenUsage? Usage, string? Model, string? FinishReason);

    /// <summary>What one <c>chat.completion.chunk</c> says.</summary>
    internal ref struct ChunkScan
    {
        public TokenUsage? Usage;
        public bool HasModel;
        public ReadOnlySpan<byte> Model;
        public string? FinishReason;
        public bool HasToken;
        public int Choices;
        public bool HasError;
        public string? ErrorType;
        public string? ErrorMessage;
    }

    /// <param name="json">The upstream's answer.</param>
    /// <param name="pinnedModel">The model asked for: when the answer reports exactly it, that string is reused (no copy per answer).</param>
    public static CompletionScan ScanCompletion(ReadOnlySpan<byte> json, string? pinnedModel = null)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw new UpstreamProtocolException("the upstream answer is not a JSON object");
            }
            TokenUsage? usage = null;
            string? model = null;
            string? finish = null;
            var sawChoices = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("model"u8))
                {
                    reader.Read();
                    model = reader.TokenType != JsonTokenType.String ? null
                        : pinnedModel is not null && reader.ValueTextEquals(pinnedModel) ? pinnedModel
                        : reader.GetString();
                }
                else if (reader.ValueTextEquals("usage"u8))
                {
                    reader.Read();
                    usage = ReadUsage(ref reader);
                }
                else if (reader.ValueTextEquals("choices"u8))
                {
                    reader.Read();
                    sawChoices = reader.TokenType == JsonTokenType.StartArray;
                    var dummy = false;
                    ReadChoices(ref reader, ref finish, ref dummy, out _, null);
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
            if (!sawChoices)
            {
                throw new UpstreamProtocolException("the upstream answer has no choices");
            }
            return new(usage, model, finish);
        }
        catch (JsonException ex)
        {
            throw new UpstreamProtocolException("the upstream answer is not valid JSON", ex);
        }
    }

    /// <summary>Scans one chunk; <paramref name="capture"/> receives the text of content deltas.</summary>
    public static ChunkScan ScanChunk(ReadOnlySpan<byte> json, OutputTextCapture? capture)
    {
        var scan = new ChunkScan();
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw new UpstreamProtocolException("an upstream stream event is not a JSON object");
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("model"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped)
                    {
                        scan.HasModel = true;
                        scan.Model = reader.ValueSpan;
                    }
                }
                else if (reader.ValueTextEquals("usage"u8))
                {
                    reader.Read();
                    scan.Usage = ReadUsage(ref reader);
                }
                else if (reader.ValueTextEquals("choices"u8))
                {
                    reader.Read();
                    scan.Choices = ReadChoices(ref reader, ref scan.FinishReason, ref scan.HasToken, out _, capture);
                }
                else if (reader.ValueTextEquals("error"u8))
                {
                    reader.Read();
                    scan.HasError = true;
                    ReadErrorObject(ref reader, out scan.ErrorType, out scan.ErrorMessage, out _);
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
            return scan;
        }
        catch (JsonException ex)
        {
            throw new UpstreamProtocolException("an upstream stream event is not valid JSON", ex);
        }
    }

    /// <summary>The four bytes JSON allows between tokens.</summary>
    private static ReadOnlySpan<byte> JsonWhitespace => " \t\r\n"u8;

    /// <summary>
    /// The common mid-stream chunk, recognised without tokenizing it: <c>finish_reason</c> and <c>usage</c> null
    /// (or absent), no error, and the first choice's delta exactly <c>{"content": text or null}</c> (so no tools,
    /// reasoning or refusal). Then nothing in it matters to accounting but that text, which goes to
    /// <paramref name="capture"/> (the full scan also keeps the first choice's text only). Any doubt answers false and
    /// the caller scans the chunk with <see cref="ScanChunk"/>: a key name appears unescaped only as a key or as a
    /// whole string value, so a search for <c>"usage"</c> can be fooled only into false (a value is not followed by
    /// <c>:</c>).
    /// </summary>
    public static bool TryScanPlainChunk(ReadOnlySpan<byte> json, OutputTextCapture? capture)
    {
        json = json.Trim(JsonWhitespace);
        if (json.Length < 2 || json[0] != (byte)'{' || json[^1] != (byte)'}' || json.IndexOf("\"error\""u8) >= 0
            || !EveryValueIsNull(json, "\"usage\""u8) || !EveryValueIsNull(json, "\"finish_reason\""u8))
        {
            return false;
        }
        var delta = json.IndexOf("\"delta\""u8);
        if (delta < 0)
        {
            return false;
        }
        // "delta": { "content": <value> }
        var rest = AfterColon(json[(delta + "\"delta\""u8.Length)..]);
        if (rest.IsEmpty || rest[0] != (byte)'{')
        {
            return false;
        }
        rest = rest[1..].TrimStart(JsonWhitespace);
        if (!rest.StartsWith("\"content\""u8))
        {
            return false;
        }
        var value = AfterColon(rest["\"content\""u8.Length..]);
        int length;
        if (value.StartsWith("null"u8))
        {
            length = 4;
        }
        else if (!value.IsEmpty && value[0] == (byte)'"' && ClosingQuote(value) is >= 0 and var end)
        {
            length = end + 1;
        }
        else
        {
            return false;
        }
        var after = value[length..].TrimStart(JsonWhitespace);
        if (after.IsEmpty || after[0] != (byte)'}')
        {
            return false;
        }
        if (capture is not null && length > 2 && value[0] == (byte)'"')
        {
            try
            {
                var reader = new Utf8JsonReader(value[..length]);
                reader.Read();
                capture.Append(ref reader);
            }
            catch (JsonException ex)
            {
                throw new UpstreamProtocolException("an upstream stream event is not valid JSON", ex);
            }
        }
        return true;
    }

    /// <summary>True when every occurrence of <paramref name="key"/> is a key whose value is <c>null</c>.</summary>
    private static bool EveryValueIsNull(ReadOnlySpan<byte> json, ReadOnlySpan<byte> key)
    {
        while (true)
        {
            var at = json.IndexOf(key);
            if (at < 0)
            {
                return true;
            }
            json = json[(at + key.Length)..];
            if (!AfterColon(json).StartsWith("null"u8))
            {
                return false;
            }
        }
    }

    /// <summary>What follows <c>: </c> (JSON whitespace allowed around the colon); empty when no colon follows.</summary>
    private static ReadOnlySpan<byte> AfterColon(ReadOnlySpan<byte> rest)
    {
        rest = rest.TrimStart(JsonWhitespace);
        return rest.IsEmpty || rest[0] != (byte)':' ? default : rest[1..].TrimStart(JsonWhitespace);
    }

    /// <summary>Index of the quote closing the string that starts at <paramref name="value"/>[0]; -1 when none.</summary>
    private static int ClosingQuote(ReadOnlySpan<byte> value)
    {
        var i = 1;
        while (true)
        {
            var q = value[i..].IndexOf((byte)'"');
            if (q < 0)
            {
                return -1;
            }
            i += q;
            var backslashes = 0;
            while (value[i - 1 - backslashes] == (byte)'\\')
            {
                backslashes++;
            }
            if (backslashes % 2 == 0)
            {
                return i;
            }
            i++;
        }
    }

    public static (string? Type, string? Message, string? Code) ScanError(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return default;
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("error"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String)
                    {
                        return (null, reader.GetString(), null);
                    }
                    ReadErrorObject(ref reader, out var type, out var message, out var code);
                    return (type, message, code);
                }
                if (reader.ValueTextEquals("message"u8) || reader.ValueTextEquals("detail"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String)
                    {
                        return (null, reader.GetString(), null);
                    }
                    reader.Skip();
                    continue;
                }
                reader.Read();
                reader.Skip();
            }
        }
        catch (JsonException)
        {
        }
        return default;
    }

    private static void ReadErrorObject(ref Utf8JsonReader reader, out string? type, out string? message, out string? code)
    {
        type = message = code = null;
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return;
        }
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isType = reader.ValueTextEquals("type"u8);
            var isMessage = reader.ValueTextEquals("message"u8);
            var isCode = reader.ValueTextEquals("code"u8);
            reader.Read();
            if (reader.TokenType == JsonTokenType.String)
            {
                if (isType) { type = reader.GetString(); }
                else if (isMessage) { message = reader.GetString(); }
                else if (isCode) { code = reader.GetString(); }
            }
            else if (isCode && reader.TokenType == JsonTokenType.Number)
            {
                code = reader.GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
            else
            {
                reader.Skip();
            }
        }
    }

    private static int ReadChoices(ref Utf8JsonReader reader, ref string? finish, ref bool hasToken, out int count, OutputTextCapture? capture)
    {
        count = 0;
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            return 0;
        }
        while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
        {
            count++;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("finish_reason"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String && finish is null)
                    {
                        finish = reader.GetString();
                    }
                }
                else if (reader.ValueTextEquals("delta"u8) || reader.ValueTextEquals("message"u8))
                {
                    reader.Read();
                    ReadDelta(ref reader, ref hasToken, count == 1 ? capture : null);
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
        }
        return count;
    }

    private static void ReadDelta(ref Utf8JsonReader reader, ref bool hasToken, OutputTextCapture? capture)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return;
        }
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var text = reader.ValueTextEquals("content"u8) || reader.ValueTextEquals("reasoning_content"u8)
                || reader.ValueTextEquals("refusal"u8) || reader.ValueTextEquals("reasoning"u8);
            var tools = !text && (reader.ValueTextEquals("tool_calls"u8) || reader.ValueTextEquals("function_call"u8));
            reader.Read();
            if (text && reader.TokenType == JsonTokenType.String)
            {
                if (reader.ValueSpan.Length > 0)
                {
                    hasToken = true;
                    capture?.Append(ref reader);
                }
            }
            else if (tools && reader.TokenType is JsonTokenType.StartArray or JsonTokenType.StartObject)
            {
                var depth = reader.CurrentDepth;
                reader.Read();
                if (reader.CurrentDepth > depth || reader.TokenType is not (JsonTokenType.EndArray or JsonTokenType.EndObject))
                {
                    hasToken = true;
                }
                while (reader.CurrentDepth > depth)
                {
                    if (capture is not null && reader.TokenType == JsonTokenType.PropertyName && reader.ValueTextEquals("arguments"u8))
                    {
                        reader.Read();
                        if (reader.TokenType == JsonTokenType.String)
                        {
                            capture.Append(ref reader);
                        }
                        continue;
                    }
                    reader.Read();
                }
            }
            else
            {
                reader.Skip();
            }
        }
    }

    private static TokenUsage? ReadUsage(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return null;
        }
        int input = 0, output = 0, cached = 0, reasoning = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("prompt_tokens"u8))
            {
                input = ReadInt(ref reader);
            }
            else if (reader.ValueTextEquals("completion_tokens"u8))
            {
                output = ReadInt(ref reader);
            }
            else if (reader.ValueTextEquals("prompt_cache_hit_tokens"u8))
            {
                cached = Math.Max(cached, ReadInt(ref reader));
            }
            else if (reader.ValueTextEquals("prompt_tokens_details"u8) || reader.ValueTextEquals("completion_tokens_details"u8))
            {
                var isPrompt = reader.ValueTextEquals("prompt_tokens_details"u8);
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    reader.Skip();
                    continue;
                }
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    if (isPrompt && reader.ValueTextEquals("cached_tokens"u8))
                    {
                        cached = Math.Max(cached, ReadInt(ref reader));
                    }
                    else if (!isPrompt && reader.ValueTextEquals("reasoning_tokens"u8))
                    {
                        reasoning = ReadInt(ref reader);
                    }
                    else
                    {
                        reader.Read();
                        reader.Skip();
                    }
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        return new TokenUsage(input, output, cached, 0, reasoning);
    }

    private static int ReadInt(ref Utf8JsonReader reader)
    {
        reader.Read();
        return reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var v) ? v : 0;
    }
}

/// <summary>
/// Keeps the text of streamed content (capped) so output tokens can be counted when the upstream reports no
/// usage. The buffer is pooled and returned when the translator is disposed.
/// </summary>
internal sealed class OutputTextCapture : IDisposable
{
    private const int Cap = 256 * 1024;
    private char[]? _chars;
    private int _length;

    public void Append(ref Utf8JsonReader reader)
    {
        var needed = reader.ValueSpan.Length; // unescaped text is never longer than its UTF-8 escaped form
        if (_length + needed > Cap)
        {
            return;
        }
        if (_chars is null || _chars.Length < _length + needed)
        {
            var bigger = System.Buffers.ArrayPool<char>.Shared.Rent(Math.Max(4096, (_length + needed) * 2));
            _chars?.AsSpan(0, _length).CopyTo(bigger);
            if (_chars is not null)
            {
                System.Buffers.ArrayPool<char>.Shared.Return(_chars);
            }
            _chars = bigger;
        }
        _length += reader.CopyString(_chars.AsSpan(_length));
    }

    public string Text => _chars is null ? "" : new string(_chars, 0, _length);

    public void Dispose()
    {
        if (_chars is not null)
        {
            System.Buffers.ArrayPool<char>.Shared.Return(_chars);
            _chars = null;
        }
    }
}
