using System.Buffers;
using System.Text.Json;

namespace Switchboard.Gateway.Providers.Gemini;

/// <summary>
/// Translates an OpenAI Chat Completions request into a Gemini <c>GenerateContentRequest</c> body. Data in, data out:
/// reads the parsed client request, writes UTF-8 JSON, and names every field it cannot express in the warnings.
/// </summary>
public static class GeminiRequestWriter
{
    /// <summary>Writes the Gemini request body of <paramref name="attempt"/> into <paramref name="output"/>.</summary>
    public static void Write(AttemptContext attempt, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        var root = attempt.Request.Root;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new RequestTranslationException("The request body must be a JSON object.");
        }
        if (!root.TryGetProperty("messages"u8, out var messages) || messages.ValueKind != JsonValueKind.Array)
        {
            throw new RequestTranslationException("'messages' must be an array.", "messages");
        }
        var fields = Fields.Read(root, attempt);

        var turns = BuildTurns(messages, out var system);
        using var writer = new Utf8JsonWriter(output, OpenAiWire.WriterOptions);
        writer.WriteStartObject();
        WriteContents(writer, turns);
        if (system.Count > 0)
        {
            writer.WriteStartObject("systemInstruction"u8);
            writer.WriteStartArray("parts"u8);
            foreach (var text in system)
            {
                writer.WriteStartObject();
                writer.WritePropertyName("text"u8);
                text.WriteTo(writer);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        WriteTools(writer, fields, attempt);
        WriteGenerationConfig(writer, fields);
        writer.WriteEndObject();
        writer.Flush();
    }

    // ---- contents --------------------------------------------------------------------------------------------

    private enum PartKind : byte
    {
        Text,             // Element: a JSON string
        Thought,          // Element: a JSON string (assistant reasoning_content is not sent back; kept for symmetry)
        Image,            // Element: image_url value
        Audio,            // Element: input_audio object {data, format}
        File,             // Element: file object {file_data, filename}
        FunctionCall,     // Element: tool_calls[] item or legacy function_call
        FunctionResponse, // Element: the tool message; Name: the function name
    }

    private readonly record struct Part(PartKind Kind, JsonElement Element, string Param, string? Name = null);

    private sealed class Turn(string role)
    {
        public string Role { get; } = role;
        public List<Part> Parts { get; } = [];
    }

    private static List<Turn> BuildTurns(JsonElement messages, out List<JsonElement> system)
    {
        system = [];
        var turns = new List<Turn>(messages.GetArrayLength());
        Dictionary<string, string>? toolNames = null; // tool_call_id -> function name (functionResponse needs the name)
        var i = 0;
        foreach (var message in messages.EnumerateArray())
        {
            var param = $"messages[{i}]";
            i++;
            if (message.ValueKind != JsonValueKind.Object || !message.TryGetString("role"u8, out var role))
            {
                throw new RequestTranslationException($"'{param}.role' is required.", param + ".role");
            }
            message.TryGetProperty("content"u8, out var content);
            if (role.ValueEquals("system"u8) || role.ValueEquals("developer"u8))
            {
                CollectText(content, system, param);
            }
            else if (role.ValueEquals("user"u8))
            {
                AddContent(TurnFor(turns, "user"), content, param, allowMedia: true);
            }
            else if (role.ValueEquals("assistant"u8))
            {
                var turn = TurnFor(turns, "model");
                AddContent(turn, content, param, allowMedia: false);
                if (message.TryGet("tool_calls"u8, out var toolCalls) && toolCalls.ValueKind == JsonValueKind.Array)
                {
                    var j = 0;
                    foreach (var call in toolCalls.EnumerateArray())
                    {
                        var callParam = $"{param}.tool_calls[{j++}]";
                        if (!call.TryGet("function"u8, out var function) || !function.TryGetString("name"u8, out var name))
                        {
                            throw new RequestTranslationException($"'{callParam}.function.name' is required.", callParam + ".function.name");
                        }
                        if (call.TryGetString("id"u8, out var id))
                        {
                            (toolNames ??= new(StringComparer.Ordinal))[id.GetString()!] = name.GetString()!;
                        }
                        turn.Parts.Add(new Part(PartKind.FunctionCall, call, callParam));
                    }
                }
                else if (message.TryGet("function_call"u8, out var functionCall) && functionCall.ValueKind == JsonValueKind.Object)
                {
                    turn.Parts.Add(new Part(PartKind.FunctionCall, functionCall, param + ".function_call"));
                }
                if (turn.Parts.Count == 0)
                {
                    turns.Remove(turn);
                }
            }
            else if (role.ValueEquals("tool"u8))
            {
                if (!message.TryGetString("tool_call_id"u8, out var id))
                {
                    throw new RequestTranslationException($"'{param}.tool_call_id' is required.", param + ".tool_call_id");
                }
                string? name = null;
                if (toolNames?.TryGetValue(id.GetString()!, out name) != true)
                {
                    throw new RequestTranslationException(
                        $"'{param}.tool_call_id' matches no tool call of an earlier assistant message.", param + ".tool_call_id");
                }
                TurnFor(turns, "user").Parts.Add(new Part(PartKind.FunctionResponse, message, param, name));
            }
            else if (role.ValueEquals("function"u8))
            {
                if (!message.TryGetString("name"u8, out var name))
                {
                    throw new RequestTranslationException($"'{param}.name' is required.", param + ".name");
                }
                TurnFor(turns, "user").Parts.Add(new Part(PartKind.FunctionResponse, message, param, name.GetString()));
            }
            else
            {
                throw new RequestTranslationException($"'{param}.role' has an unknown value '{role.GetString()}'.", param + ".role");
            }
        }
        return turns;
    }

    // Consecutive messages of one role share a content (parallel function responses must, in Gemini).
    private static Turn TurnFor(List<Turn> turns, string role)
    {
        if (turns.Count > 0 && turns[^1].Role == role)
        {
            return turns[^1];
        }
        var turn = new Turn(role);
        turns.Add(turn);
        return turn;
    }

    private static void CollectText(JsonElement content, List<JsonElement> into, string param)
    {
        if (content.ValueKind == JsonValueKind.String)
        {
            if (!JsonText.IsEmptyString(content))
            {
                into.Add(content);
            }
        }
        else if (content.ValueKind == JsonValueKind.Array)
        {
            foreach (var part in content.EnumerateArray())
            {
                if (part.TryGetString("text"u8, out var text) && !JsonText.IsEmptyString(text))
                {
                    into.Add(text);
                }
            }
        }
        else if (content.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined))
        {
            throw new RequestTranslationException($"'{param}.content' must be a string or an array of parts.", param + ".content");
        }
    }

    private static void AddContent(Turn turn, JsonElement content, string param, bool allowMedia)
    {
        switch (content.ValueKind)
        {
            case JsonValueKind.String:
                if (!JsonText.IsEmptyString(content))
                {
                    turn.Parts.Add(new Part(PartKind.Text, content, param + ".content"));
                }
                return;
            case JsonValueKind.Null or JsonValueKind.Undefined:
                return;
            case JsonValueKind.Array:
                break;
            default:
                throw new RequestTranslationException($"'{param}.content' must be a string or an array of parts.", param + ".content");
        }
        var k = 0;
        foreach (var part in content.EnumerateArray())
        {
            var partParam = $"{param}.content[{k++}]";
            if (!part.TryGetString("type"u8, out var type))
            {
                throw new RequestTranslationException($"'{partParam}.type' is required.", partParam + ".type");
            }
            if (type.ValueEquals("text"u8) && part.TryGetString("text"u8, out var text))
            {
                if (!JsonText.IsEmptyString(text))
                {
                    turn.Parts.Add(new Part(PartKind.Text, text, partParam));
                }
            }
            else if (type.ValueEquals("refusal"u8) && part.TryGetString("refusal"u8, out var refusal))
            {
                turn.Parts.Add(new Part(PartKind.Text, refusal, partParam));
            }
            else if (allowMedia && type.ValueEquals("image_url"u8) && part.TryGetProperty("image_url"u8, out var image))
            {
                turn.Parts.Add(new Part(PartKind.Image, image, partParam + ".image_url"));
            }
            else if (allowMedia && type.ValueEquals("input_audio"u8) && part.TryGetProperty("input_audio"u8, out var audio))
            {
                turn.Parts.Add(new Part(PartKind.Audio, audio, partParam + ".input_audio"));
            }
            else if (allowMedia && type.ValueEquals("file"u8) && part.TryGetProperty("file"u8, out var file))
            {
                turn.Parts.Add(new Part(PartKind.File, file, partParam + ".file"));
            }
            else
            {
                throw new RequestTranslationException(
                    $"Content part type '{type.GetString()}' at '{partParam}' cannot be sent to a Gemini provider.", partParam + ".type");
            }
        }
    }

    private static void WriteContents(Utf8JsonWriter writer, List<Turn> turns)
    {
        writer.WriteStartArray("contents"u8);
        foreach (var turn in turns)
        {
            writer.WriteStartObject();
            writer.WriteString("role"u8, turn.Role);
            writer.WriteStartArray("parts"u8);
            foreach (var part in turn.Parts)
            {
                writer.WriteStartObject();
                WritePart(writer, part);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
    }

    private static void WritePart(Utf8JsonWriter writer, Part part)
    {
        switch (part.Kind)
        {
            case PartKind.Text or PartKind.Thought:
                writer.WritePropertyName("text"u8);
                part.Element.WriteTo(writer);
                break;
            case PartKind.Image:
                WriteImage(writer, part.Element, part.Param);
                break;
            case PartKind.Audio:
                if (!part.Element.TryGetString("data"u8, out var audioData))
                {
                    throw new RequestTranslationException($"'{part.Param}.data' is required.", part.Param + ".data");
                }
                writer.WriteStartObject("inlineData"u8);
                writer.WriteString("mimeType"u8, part.Element.TryGetString("format"u8, out var format) && format.ValueEquals("mp3"u8) ? "audio/mp3"u8 : "audio/wav"u8);
                writer.WritePropertyName("data"u8);
                audioData.WriteTo(writer);
                writer.WriteEndObject();
                break;
            case PartKind.File:
                if (!part.Element.TryGetString("file_data"u8, out var fileData) || !DataUrl.TryParse(JsonText.Utf8(fileData), out var mediaType, out var data))
                {
                    throw new RequestTranslationException(
                        $"'{part.Param}' needs 'file_data' as a base64 data URL for a Gemini provider (file ids are not portable).", part.Param);
                }
                writer.WriteStartObject("inlineData"u8);
                writer.WriteString("mimeType"u8, mediaType);
                writer.WriteString("data"u8, data);
                writer.WriteEndObject();
                break;
            case PartKind.FunctionCall:
                var function = part.Element.TryGet("function"u8, out var f) ? f : part.Element;
                if (!function.TryGetString("name"u8, out var name))
                {
                    throw new RequestTranslationException($"'{part.Param}.function.name' is required.", part.Param + ".function.name");
                }
                writer.WriteStartObject("functionCall"u8);
                writer.WritePropertyName("name"u8);
                name.WriteTo(writer);
                writer.WritePropertyName("args"u8);
                function.TryGetProperty("arguments"u8, out var arguments);
                JsonText.WriteArgumentsObject(writer, arguments, part.Param + ".function.arguments");
                writer.WriteEndObject();
                break;
            case PartKind.FunctionResponse:
                writer.WriteStartObject("functionResponse"u8);
                writer.WriteString("name"u8, part.Name);
                writer.WritePropertyName("response"u8);
                WriteFunctionResponse(writer, part.Element);
                writer.WriteEndObject();
                break;
        }
    }

    private static void WriteImage(Utf8JsonWriter writer, JsonElement image, string param)
    {
        JsonElement url;
        if (image.ValueKind == JsonValueKind.String)
        {
            url = image;
        }
        else if (!image.TryGetString("url"u8, out url))
        {
            throw new RequestTranslationException($"'{param}.url' is required.", param + ".url");
        }
        var bytes = JsonText.Utf8(url);
        if (DataUrl.TryParse(bytes, out var mediaType, out var data))
        {
            writer.WriteStartObject("inlineData"u8);
            writer.WriteString("mimeType"u8, mediaType);
            writer.WriteString("data"u8, data);
            writer.WriteEndObject();
        }
        else if (DataUrl.IsHttp(bytes))
        {
            writer.WriteStartObject("fileData"u8);
            if (MimeTypeFromPath(bytes) is { } mime)
            {
                writer.WriteString("mimeType"u8, mime);
            }
            writer.WritePropertyName("fileUri"u8);
            url.WriteTo(writer);
            writer.WriteEndObject();
        }
        else
        {
            throw new RequestTranslationException($"'{param}.url' must be an http(s) URL or a base64 data URL.", param + ".url");
        }
    }

    private static string? MimeTypeFromPath(ReadOnlySpan<byte> url)
    {
        var end = url.IndexOfAny((byte)'?', (byte)'#');
        var path = end >= 0 ? url[..end] : url;
        return path.EndsWith(".png"u8) ? "image/png"
            : path.EndsWith(".jpg"u8) || path.EndsWith(".jpeg"u8) ? "image/jpeg"
            : path.EndsWith(".webp"u8) ? "image/webp"
            : path.EndsWith(".gif"u8) ? "image/gif"
            : path.EndsWith(".heic"u8) ? "image/heic"
            : path.EndsWith(".pdf"u8) ? "application/pdf"
            : null;
    }

    // functionResponse.response must be an object: a tool result that is a JSON object goes as is, anything else
    // is wrapped as {"content": "..."}.
    private static void WriteFunctionResponse(Utf8JsonWriter writer, JsonElement message)
    {
        message.TryGetProperty("content"u8, out var content);
        string text;
        if (content.ValueKind == JsonValueKind.String)
        {
            text = content.GetString()!;
        }
        else if (content.ValueKind == JsonValueKind.Array)
        {
            var builder = new System.Text.StringBuilder();
            foreach (var part in content.EnumerateArray())
            {
                if (part.TryGetString("text"u8, out var t))
                {
                    builder.Append(t.GetString());
                }
            }
            text = builder.ToString();
        }
        else
        {
            text = "";
        }
        if (IsJsonObject(text))
        {
            writer.WriteRawValue(text, skipInputValidation: true);
            return;
        }
        writer.WriteStartObject();
        writer.WriteString("content"u8, text);
        writer.WriteEndObject();
    }

    private static bool IsJsonObject(string text)
    {
        var trimmed = text.AsSpan().TrimStart();
        if (trimmed.IsEmpty || trimmed[0] != '{')
        {
            return false;
        }
        try
        {
            var bytes = System.Text.Encoding.UTF8.GetBytes(text);
            var reader = new Utf8JsonReader(bytes);
            reader.Read();
            reader.Skip();
            return !reader.Read(); // nothing after the object
        }
        catch (JsonException)
        {
            return false;
        }
    }

    // ---- tools and generation config ---------------------------------------------------------------------------

    private static void WriteTools(Utf8JsonWriter writer, in Fields fields, AttemptContext attempt)
    {
        var source = fields.Tools.ValueKind == JsonValueKind.Array ? fields.Tools
            : fields.Functions.ValueKind == JsonValueKind.Array ? fields.Functions : default;
        if (source.ValueKind != JsonValueKind.Array || source.GetArrayLength() == 0)
        {
            return;
        }
        var legacy = fields.Tools.ValueKind != JsonValueKind.Array;
        writer.WriteStartArray("tools"u8);
        writer.WriteStartObject();
        writer.WriteStartArray("functionDeclarations"u8);
        var i = 0;
        foreach (var tool in source.EnumerateArray())
        {
            var param = legacy ? $"functions[{i}]" : $"tools[{i}].function";
            i++;
            JsonElement function;
            if (legacy)
            {
                function = tool;
            }
            else
            {
                if (tool.TryGetString("type"u8, out var type) && !type.ValueEquals("function"u8))
                {
                    attempt.Warnings.Add($"{attempt.Provider.Name}: dropped tool of type '{type.GetString()}'");
                    continue;
                }
                if (!tool.TryGet("function"u8, out function))
                {
                    throw new RequestTranslationException($"'{param}' is required.", param);
                }
            }
            if (!function.TryGetString("name"u8, out var name))
            {
                throw new RequestTranslationException($"'{param}.name' is required.", param + ".name");
            }
            writer.WriteStartObject();
            writer.WritePropertyName("name"u8);
            name.WriteTo(writer);
            if (function.TryGetString("description"u8, out var description))
            {
                writer.WritePropertyName("description"u8);
                description.WriteTo(writer);
            }
            if (function.TryGet("parameters"u8, out var parameters) && !GeminiSchema.IsEmptyObject(parameters))
            {
                writer.WritePropertyName("parameters"u8);
                GeminiSchema.Write(writer, parameters);
            }
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.WriteEndArray();

        var choice = fields.ToolChoice.ValueKind != JsonValueKind.Undefined ? fields.ToolChoice : fields.FunctionCall;
        if (choice.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null)
        {
            return;
        }
        writer.WriteStartObject("toolConfig"u8);
        writer.WriteStartObject("functionCallingConfig"u8);
        if (choice.ValueKind == JsonValueKind.String)
        {
            writer.WriteString("mode"u8, choice.ValueEquals("none"u8) ? "NONE"u8 : choice.ValueEquals("required"u8) ? "ANY"u8 : "AUTO"u8);
        }
        else
        {
            var function = choice.TryGet("function"u8, out var f) ? f : choice;
            if (!function.TryGetString("name"u8, out var name))
            {
                throw new RequestTranslationException("'tool_choice.function.name' is required.", "tool_choice.function.name");
            }
            writer.WriteString("mode"u8, "ANY"u8);
            writer.WriteStartArray("allowedFunctionNames"u8);
            name.WriteTo(writer);
            writer.WriteEndArray();
        }
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static void WriteGenerationConfig(Utf8JsonWriter writer, in Fields fields)
    {
        var started = false;
        void Start(Utf8JsonWriter w)
        {
            if (!started)
            {
                w.WriteStartObject("generationConfig"u8);
                started = true;
            }
        }
        void Copy(Utf8JsonWriter w, ReadOnlySpan<byte> name, JsonElement value)
        {
            if (value.ValueKind == JsonValueKind.Number)
            {
                Start(w);
                w.WritePropertyName(name);
                value.WriteTo(w);
            }
        }

        Copy(writer, "maxOutputTokens"u8, fields.MaxCompletionTokens.ValueKind == JsonValueKind.Number ? fields.MaxCompletionTokens : fields.MaxTokens);
        Copy(writer, "temperature"u8, fields.Temperature);
        Copy(writer, "topP"u8, fields.TopP);
        Copy(writer, "topK"u8, fields.TopK);
        Copy(writer, "candidateCount"u8, fields.N);
        Copy(writer, "seed"u8, fields.Seed);
        Copy(writer, "presencePenalty"u8, fields.PresencePenalty);
        Copy(writer, "frequencyPenalty"u8, fields.FrequencyPenalty);
        if (fields.Stop.ValueKind is JsonValueKind.String or JsonValueKind.Array)
        {
            Start(writer);
            writer.WriteStartArray("stopSequences"u8);
            if (fields.Stop.ValueKind == JsonValueKind.String)
            {
                fields.Stop.WriteTo(writer);
            }
            else
            {
                foreach (var s in fields.Stop.EnumerateArray())
                {
                    if (s.ValueKind == JsonValueKind.String)
                    {
                        s.WriteTo(writer);
                    }
                }
            }
            writer.WriteEndArray();
        }
        if (fields.ResponseFormat.ValueKind == JsonValueKind.Object && fields.ResponseFormat.TryGetString("type"u8, out var type))
        {
            if (type.ValueEquals("json_object"u8))
            {
                Start(writer);
                writer.WriteString("responseMimeType"u8, "application/json"u8);
            }
            else if (type.ValueEquals("json_schema"u8))
            {
                Start(writer);
                writer.WriteString("responseMimeType"u8, "application/json"u8);
                if (fields.ResponseFormat.TryGet("json_schema"u8, out var js) && js.TryGet("schema"u8, out var schema))
                {
                    writer.WritePropertyName("responseSchema"u8);
                    GeminiSchema.Write(writer, schema);
                }
            }
        }
        if (started)
        {
            writer.WriteEndObject();
        }
    }

    private struct Fields
    {
        public JsonElement MaxTokens, MaxCompletionTokens, Temperature, TopP, TopK, N, Seed, PresencePenalty, FrequencyPenalty,
            Stop, Tools, ToolChoice, Functions, FunctionCall, ResponseFormat;

        public static Fields Read(JsonElement root, AttemptContext attempt)
        {
            var f = default(Fields);
            foreach (var p in root.EnumerateObject())
            {
                var v = p.Value;
                switch (p.Name)
                {
                    case "model" or "messages" or "stream" or "stream_options":
                        break;
                    case "max_tokens": f.MaxTokens = v; break;
                    case "max_completion_tokens": f.MaxCompletionTokens = v; break;
                    case "temperature": f.Temperature = v; break;
                    case "top_p": f.TopP = v; break;
                    case "top_k": f.TopK = v; break;
                    case "n": f.N = v; break;
                    case "seed": f.Seed = v; break;
                    case "presence_penalty": f.PresencePenalty = v; break;
                    case "frequency_penalty": f.FrequencyPenalty = v; break;
                    case "stop": f.Stop = v; break;
                    case "tools": f.Tools = v; break;
                    case "tool_choice": f.ToolChoice = v; break;
                    case "functions": f.Functions = v; break;
                    case "function_call": f.FunctionCall = v; break;
                    case "response_format": f.ResponseFormat = v; break;
                    case "parallel_tool_calls":
                        if (v.ValueKind == JsonValueKind.False)
                        {
                            attempt.Warnings.Add($"{attempt.Provider.Name}: dropped 'parallel_tool_calls'");
                        }
                        break;
                    default:
                        // Null and false mean "not asked for": nothing is lost by not sending them.
                        if (v.ValueKind is not (JsonValueKind.Null or JsonValueKind.False))
                        {
                            attempt.Warnings.Add($"{attempt.Provider.Name}: dropped '{p.Name}'");
                        }
                        break;
                }
            }
            return f;
        }
    }
}
