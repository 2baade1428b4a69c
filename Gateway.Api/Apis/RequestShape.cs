using System.Text.Json;
using Switchboard.Gateway.Providers;

namespace Switchboard.Gateway.Apis;

/// <summary>
/// What the hot path needs of a Chat Completions body, read in one forward pass of a <see cref="Utf8JsonReader"/>
/// over the pooled bytes: the model, stream flags, and the first shape problem (in the order a client fixes them:
/// the body, <c>model</c>, <c>messages</c>, each message, then field types). The whole body is read even after a
/// problem, so malformed JSON anywhere is reported as such. Throws <see cref="JsonException"/> on invalid JSON.
/// </summary>
internal readonly record struct RequestShape(string? Model, bool Stream, bool IncludeUsage, RequestProblem? Problem)
{
    private static readonly JsonReaderOptions Options = new() { MaxDepth = ChatRequest.MaxDepth };

    /// <summary>Longest property name (in UTF-8 bytes as sent) matched without a string.</summary>
    private const int NameBufferLength = 64;

    public static RequestShape Read(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, Options);
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            EnsureEnd(ref reader);
            return new(null, false, false, ChatRequestReader.Bad("The request body must be a JSON object.", null));
        }

        string? model = null;
        var modelSeen = false;
        JsonTokenType? messagesKind = null;
        var messageCount = 0;
        RequestProblem? messageProblem = null;
        RequestProblem? fieldProblem = null;
        var stream = false;
        var includeUsage = false;
        long? n = null;

        // Property names are matched as chars in a stack buffer (a string only for an unusually long name): no
        // string per property on every request.
        Span<char> nameBuffer = stackalloc char[NameBufferLength];
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            ReadOnlySpan<char> name = reader.ValueSpan.Length <= NameBufferLength
                ? nameBuffer[..reader.CopyString(nameBuffer)]
                : reader.GetString();
            reader.Read();
            var kind = reader.TokenType;
            switch (name)
            {
                case "model":
                    modelSeen = true;
                    model = kind == JsonTokenType.String ? reader.GetString() : null;
                    break;
                case "messages":
                    messagesKind = kind;
                    if (kind == JsonTokenType.StartArray)
                    {
                        messageProblem = null;
                        messageCount = ReadMessages(ref reader, out messageProblem);
                        continue;
                    }
                    break;
                case "stream":
                    stream = kind == JsonTokenType.True;
                    break;
                case "stream_options" when kind == JsonTokenType.StartObject:
                    includeUsage = ReadIncludeUsage(ref reader);
                    continue;
                case "n" when kind == JsonTokenType.Number && reader.TryGetInt64(out var value):
                    n = value;
                    break;
                default:
                    break;
            }
            if (fieldProblem is null && TypeProblem(name, kind, ref reader) is { } expected)
            {
                fieldProblem = ChatRequestReader.Bad($"'{name}' must be {expected}.", name.ToString());
            }
            reader.Skip();
        }
        EnsureEnd(ref reader);

        var problem = !modelSeen || model is not { Length: > 0 } ? ChatRequestReader.Bad("'model' is required and must be a non-empty string.", "model")
            : messagesKind != JsonTokenType.StartArray ? ChatRequestReader.Bad("'messages' is required and must be an array.", "messages")
            : messageCount == 0 ? ChatRequestReader.Bad("'messages' must contain at least one message.", "messages")
            : messageProblem ?? fieldProblem
            ?? (n < 1 ? ChatRequestReader.Bad("'n' must be at least 1.", "n") : null);
        return new(model, stream, includeUsage, problem);
    }

    private static string? TypeProblem(scoped ReadOnlySpan<char> name, JsonTokenType kind, ref Utf8JsonReader reader) => name switch
    {
        "stream" or "logprobs" or "parallel_tool_calls" or "store" when kind is not (JsonTokenType.True or JsonTokenType.False or JsonTokenType.Null) => "a boolean",
        "temperature" or "top_p" or "presence_penalty" or "frequency_penalty" when kind is not (JsonTokenType.Number or JsonTokenType.Null) => "a number",
        "max_tokens" or "max_completion_tokens" or "n" or "seed" or "top_logprobs" when kind is not (JsonTokenType.Number or JsonTokenType.Null) || (kind == JsonTokenType.Number && !reader.TryGetInt64(out _)) => "an integer",
        "tools" or "functions" when kind is not (JsonTokenType.StartArray or JsonTokenType.Null) => "an array",
        "stream_options" or "response_format" or "metadata" or "logit_bias" or "thinking" when kind is not (JsonTokenType.StartObject or JsonTokenType.Null) => "an object",
        "stop" when kind is not (JsonTokenType.String or JsonTokenType.StartArray or JsonTokenType.Null) => "a string or an array of strings",
        "user" when kind is not (JsonTokenType.String or JsonTokenType.Null) => "a string",
        "tool_choice" when kind is not (JsonTokenType.String or JsonTokenType.StartObject or JsonTokenType.Null) => "a string or an object",
        _ => null,
    };

    /// <summary>Reads the messages array (reader on its StartArray, left on its EndArray); the first problem in order.</summary>
    private static int ReadMessages(ref Utf8JsonReader reader, out RequestProblem? problem)
    {
        problem = null;
        var i = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                problem ??= ChatRequestReader.Bad($"'messages[{i}]' must be an object.", $"messages[{i}]");
                reader.Skip();
                i++;
                continue;
            }
            var role = false;
            var knownRole = true;
            JsonTokenType? content = null;
            var badPart = -1;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isRole = reader.ValueTextEquals("role"u8);
                var isContent = reader.ValueTextEquals("content"u8);
                reader.Read();
                if (isRole)
                {
                    role = reader.TokenType == JsonTokenType.String;
                    knownRole = role && IsKnownRole(ref reader);
                }
                else if (isContent)
                {
                    content = reader.TokenType;
                    if (reader.TokenType == JsonTokenType.StartArray)
                    {
                        badPart = ReadParts(ref reader);
                        continue;
                    }
                }
                reader.Skip();
            }
            if (problem is null)
            {
                if (!role)
                {
                    problem = ChatRequestReader.Bad($"'messages[{i}].role' is required and must be a string.", $"messages[{i}].role");
                }
                else if (!knownRole)
                {
                    problem = ChatRequestReader.Bad(
                        $"Invalid value for 'messages[{i}].role'. Supported values are: 'system', 'developer', 'user', 'assistant', 'tool', and 'function'.",
                        $"messages[{i}].role");
                }
                else if (content is { } c && c is not (JsonTokenType.String or JsonTokenType.StartArray or JsonTokenType.Null))
                {
                    problem = ChatRequestReader.Bad($"'messages[{i}].content' must be a string, an array of content parts, or null.", $"messages[{i}].content");
                }
                else if (badPart >= 0)
                {
                    problem = ChatRequestReader.Bad($"'messages[{i}].content[{badPart}]' must be a content part object with a string 'type'.", $"messages[{i}].content[{badPart}]");
                }
            }
            i++;
        }
        return i;
    }

    /// <summary>Reads a content parts array (reader on its StartArray, left on its EndArray); index of the first bad part or -1.</summary>
    private static int ReadParts(ref Utf8JsonReader reader)
    {
        var bad = -1;
        var j = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            var typed = false;
            if (reader.TokenType == JsonTokenType.StartObject)
            {
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var isType = reader.ValueTextEquals("type"u8);
                    reader.Read();
                    // The last "type" wins, as a DOM lookup of a duplicated name would see it.
                    if (isType)
                    {
                        typed = reader.TokenType == JsonTokenType.String;
                    }
                    reader.Skip();
                }
            }
            else
            {
                reader.Skip();
            }
            if (!typed && bad < 0)
            {
                bad = j;
            }
            j++;
        }
        return bad;
    }

    /// <summary>Reads stream_options (reader on its StartObject, left on its EndObject).</summary>
    private static bool ReadIncludeUsage(ref Utf8JsonReader reader)
    {
        var include = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isInclude = reader.ValueTextEquals("include_usage"u8);
            reader.Read();
            if (isInclude)
            {
                include = reader.TokenType == JsonTokenType.True;
            }
            reader.Skip();
        }
        return include;
    }

    /// <summary>Nothing but white space may follow the root value.</summary>
    private static void EnsureEnd(ref Utf8JsonReader reader)
    {
        if (reader.Read())
        {
            throw new JsonException($"'{(char)reader.ValueSpan[0]}' is invalid after a single JSON value. Expected end of data.");
        }
    }

    // The roles the Chat Completions API accepts; anything else is refused here, as OpenAI does, instead of being
    // passed to a provider that may answer it in its own way (or not at all).
    private static bool IsKnownRole(ref Utf8JsonReader reader) =>
        reader.ValueTextEquals("user"u8) || reader.ValueTextEquals("assistant"u8) || reader.ValueTextEquals("system"u8)
        || reader.ValueTextEquals("developer"u8) || reader.ValueTextEquals("tool"u8) || reader.ValueTextEquals("function"u8);
}
