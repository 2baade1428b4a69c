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

        var turns = OpenAIConversation.Read(messages, Rules, out var system);
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

    private static readonly ConversationRules Rules = new("a Gemini provider", "model", Audio: true, ToolNames: true);

    private static void WriteContents(Utf8JsonWriter writer, List<ConversationTurn> turns)
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

    private static void WritePart(Utf8JsonWriter writer, ConversationPart part)
    {
        switch (part.Kind)
        {
            case ConversationPartKind.Text:
                writer.WritePropertyName("text"u8);
                part.Element.WriteTo(writer);
                break;
            case ConversationPartKind.Image:
                WriteImage(writer, part.Element, part.Param);
                break;
            case ConversationPartKind.Audio:
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
            case ConversationPartKind.File:
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
            case ConversationPartKind.ToolCall:
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
            case ConversationPartKind.ToolResult:
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
