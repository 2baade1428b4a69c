using System.Buffers;
using System.Text.Json;

namespace Switchboard.Gateway.Providers.Anthropic;

/// <summary>
/// Translates an OpenAI Chat Completions request into an Anthropic Messages request body. Data in, data out: reads the
/// parsed client request, writes UTF-8 JSON, and names every field it cannot express in the attempt's warnings.
/// </summary>
public static class AnthropicRequestWriter
{
    private const string JsonObjectInstruction =
        "Respond with a single valid JSON object and nothing else: no prose, no code fences.";

    private const string JsonSchemaInstruction =
        "Respond with a single valid JSON object and nothing else (no prose, no code fences) that conforms to this JSON schema:\n";

    /// <summary>Writes the Anthropic request body of <paramref name="attempt"/> into <paramref name="output"/>.</summary>
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
        using var writer = new Utf8JsonWriter(output, OpenAiWire.WriterOptions);
        writer.WriteStartObject();
        writer.WriteString("model"u8, attempt.Model);
        writer.WriteNumber("max_tokens"u8, MaxTokens(fields, attempt));

        var turns = OpenAIConversation.Read(messages, Rules, out var system);
        WriteSystem(writer, system, fields.ResponseFormat, attempt);
        WriteMessages(writer, turns);

        if (fields.Stop.ValueKind is JsonValueKind.String or JsonValueKind.Array)
        {
            writer.WriteStartArray("stop_sequences"u8);
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
        if (fields.Temperature.ValueKind == JsonValueKind.Number)
        {
            // OpenAI accepts 0..2, Anthropic 0..1: clamp rather than fail the attempt.
            var t = fields.Temperature.GetDouble();
            if (t > 1)
            {
                attempt.Warnings.Add($"{attempt.Provider.Name}: clamped 'temperature' to 1");
                writer.WriteNumber("temperature"u8, 1);
            }
            else
            {
                writer.WritePropertyName("temperature"u8);
                fields.Temperature.WriteTo(writer);
            }
        }
        if (fields.TopP.ValueKind == JsonValueKind.Number)
        {
            writer.WritePropertyName("top_p"u8);
            fields.TopP.WriteTo(writer);
        }
        if (fields.TopK.ValueKind == JsonValueKind.Number)
        {
            writer.WritePropertyName("top_k"u8);
            fields.TopK.WriteTo(writer);
        }
        if (fields.User.ValueKind == JsonValueKind.String)
        {
            writer.WriteStartObject("metadata"u8);
            writer.WritePropertyName("user_id"u8);
            fields.User.WriteTo(writer);
            writer.WriteEndObject();
        }
        WriteTools(writer, fields, attempt);
        if (fields.Thinking.ValueKind == JsonValueKind.Object)
        {
            writer.WritePropertyName("thinking"u8);
            fields.Thinking.WriteTo(writer);
        }
        if (attempt.Stream)
        {
            writer.WriteBoolean("stream"u8, true);
        }
        writer.WriteEndObject();
        writer.Flush();
    }

    private static int MaxTokens(in Fields fields, AttemptContext attempt)
    {
        if (fields.MaxCompletionTokens.ValueKind == JsonValueKind.Number && fields.MaxCompletionTokens.TryGetInt32(out var mct) && mct > 0)
        {
            return mct;
        }
        if (fields.MaxTokens.ValueKind == JsonValueKind.Number && fields.MaxTokens.TryGetInt32(out var mt) && mt > 0)
        {
            return mt;
        }
        return attempt.DefaultMaxTokens;
    }

    // ---- messages --------------------------------------------------------------------------------------------

    private static readonly ConversationRules Rules = new("an Anthropic provider", "assistant", Audio: false, ToolNames: false);

    private static void WriteSystem(Utf8JsonWriter writer, List<JsonElement> system, JsonElement responseFormat, AttemptContext attempt)
    {
        string? instruction = null;
        if (responseFormat.ValueKind == JsonValueKind.Object && responseFormat.TryGetString("type"u8, out var type))
        {
            if (type.ValueEquals("json_object"u8))
            {
                instruction = JsonObjectInstruction;
            }
            else if (type.ValueEquals("json_schema"u8))
            {
                var schema = responseFormat.TryGet("json_schema"u8, out var js) && js.TryGet("schema"u8, out var s) ? s.GetRawText() : "{}";
                instruction = JsonSchemaInstruction + schema;
            }
            if (instruction is not null)
            {
                attempt.Warnings.Add($"{attempt.Provider.Name}: 'response_format' sent as a system instruction (no native JSON mode)");
            }
        }
        if (system.Count == 0 && instruction is null)
        {
            return;
        }
        writer.WriteStartArray("system"u8);
        foreach (var text in system)
        {
            writer.WriteStartObject();
            writer.WriteString("type"u8, "text"u8);
            writer.WritePropertyName("text"u8);
            text.WriteTo(writer);
            writer.WriteEndObject();
        }
        if (instruction is not null)
        {
            writer.WriteStartObject();
            writer.WriteString("type"u8, "text"u8);
            writer.WriteString("text"u8, instruction);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
    }

    private static void WriteMessages(Utf8JsonWriter writer, List<ConversationTurn> turns)
    {
        writer.WriteStartArray("messages"u8);
        foreach (var turn in turns)
        {
            writer.WriteStartObject();
            writer.WriteString("role"u8, turn.Role);
            writer.WriteStartArray("content"u8);
            // Anthropic wants tool_result blocks first in a user turn.
            foreach (var block in turn.Parts)
            {
                if (block.Kind == ConversationPartKind.ToolResult)
                {
                    WriteBlock(writer, block);
                }
            }
            foreach (var block in turn.Parts)
            {
                if (block.Kind != ConversationPartKind.ToolResult)
                {
                    WriteBlock(writer, block);
                }
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
    }

    private static void WriteBlock(Utf8JsonWriter writer, ConversationPart block)
    {
        switch (block.Kind)
        {
            case ConversationPartKind.Text:
                writer.WriteStartObject();
                writer.WriteString("type"u8, "text"u8);
                writer.WritePropertyName("text"u8);
                block.Element.WriteTo(writer);
                writer.WriteEndObject();
                break;
            case ConversationPartKind.Image:
                WriteImage(writer, block.Element, block.Param);
                break;
            case ConversationPartKind.File:
                WriteDocument(writer, block.Element, block.Param);
                break;
            case ConversationPartKind.ToolCall:
                WriteToolUse(writer, block.Element, block.Param);
                break;
            case ConversationPartKind.ToolResult:
                WriteToolResult(writer, block.Element, block.Param);
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
        writer.WriteStartObject();
        writer.WriteString("type"u8, "image"u8);
        writer.WriteStartObject("source"u8);
        if (DataUrl.TryParse(bytes, out var mediaType, out var data))
        {
            writer.WriteString("type"u8, "base64"u8);
            writer.WriteString("media_type"u8, mediaType);
            writer.WriteString("data"u8, data);
        }
        else if (DataUrl.IsHttp(bytes))
        {
            writer.WriteString("type"u8, "url"u8);
            writer.WritePropertyName("url"u8);
            url.WriteTo(writer);
        }
        else
        {
            throw new RequestTranslationException(
                $"'{param}.url' must be an http(s) URL or a base64 data URL.", param + ".url");
        }
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static void WriteDocument(Utf8JsonWriter writer, JsonElement file, string param)
    {
        if (!file.TryGetString("file_data"u8, out var fileData) || !DataUrl.TryParse(JsonText.Utf8(fileData), out var mediaType, out var data))
        {
            throw new RequestTranslationException(
                $"'{param}' needs 'file_data' as a base64 data URL for an Anthropic provider (file ids are not portable).", param);
        }
        writer.WriteStartObject();
        writer.WriteString("type"u8, "document"u8);
        writer.WriteStartObject("source"u8);
        writer.WriteString("type"u8, "base64"u8);
        writer.WriteString("media_type"u8, mediaType);
        writer.WriteString("data"u8, data);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static void WriteToolUse(Utf8JsonWriter writer, JsonElement call, string param)
    {
        // tool_calls[] item: {id, type, function:{name, arguments}}; legacy function_call: {name, arguments}.
        var function = call.TryGet("function"u8, out var f) ? f : call;
        if (!function.TryGetString("name"u8, out var name))
        {
            throw new RequestTranslationException($"'{param}.function.name' is required.", param + ".function.name");
        }
        writer.WriteStartObject();
        writer.WriteString("type"u8, "tool_use"u8);
        writer.WritePropertyName("id"u8);
        (call.TryGetString("id"u8, out var id) ? id : name).WriteTo(writer);
        writer.WritePropertyName("name"u8);
        name.WriteTo(writer);
        writer.WritePropertyName("input"u8);
        function.TryGetProperty("arguments"u8, out var arguments);
        JsonText.WriteArgumentsObject(writer, arguments, param + ".function.arguments");
        writer.WriteEndObject();
    }

    private static void WriteToolResult(Utf8JsonWriter writer, JsonElement message, string param)
    {
        if (!message.TryGetString("tool_call_id"u8, out var id) && !message.TryGetString("name"u8, out id))
        {
            throw new RequestTranslationException($"'{param}.tool_call_id' is required.", param + ".tool_call_id");
        }
        writer.WriteStartObject();
        writer.WriteString("type"u8, "tool_result"u8);
        writer.WritePropertyName("tool_use_id"u8);
        id.WriteTo(writer);
        message.TryGetProperty("content"u8, out var content);
        if (content.ValueKind == JsonValueKind.String)
        {
            writer.WritePropertyName("content"u8);
            content.WriteTo(writer);
        }
        else if (content.ValueKind == JsonValueKind.Array)
        {
            writer.WriteStartArray("content"u8);
            var k = 0;
            foreach (var part in content.EnumerateArray())
            {
                if (part.TryGetString("text"u8, out var text))
                {
                    writer.WriteStartObject();
                    writer.WriteString("type"u8, "text"u8);
                    writer.WritePropertyName("text"u8);
                    text.WriteTo(writer);
                    writer.WriteEndObject();
                }
                else if (part.TryGetProperty("image_url"u8, out var image))
                {
                    WriteImage(writer, image, $"{param}.content[{k}].image_url");
                }
                k++;
            }
            writer.WriteEndArray();
        }
        writer.WriteEndObject();
    }

    // ---- tools -----------------------------------------------------------------------------------------------

    private static void WriteTools(Utf8JsonWriter writer, in Fields fields, AttemptContext attempt)
    {
        var hasTools = false;
        if (fields.Tools.ValueKind == JsonValueKind.Array && fields.Tools.GetArrayLength() > 0)
        {
            writer.WriteStartArray("tools"u8);
            var i = 0;
            foreach (var tool in fields.Tools.EnumerateArray())
            {
                if (tool.TryGetString("type"u8, out var type) && !type.ValueEquals("function"u8))
                {
                    attempt.Warnings.Add($"{attempt.Provider.Name}: dropped tool of type '{type.GetString()}'");
                    i++;
                    continue;
                }
                if (!tool.TryGet("function"u8, out var function))
                {
                    throw new RequestTranslationException($"'tools[{i}].function' is required.", $"tools[{i}].function");
                }
                WriteFunction(writer, function, $"tools[{i}].function");
                hasTools = true;
                i++;
            }
            writer.WriteEndArray();
        }
        else if (fields.Functions.ValueKind == JsonValueKind.Array && fields.Functions.GetArrayLength() > 0)
        {
            writer.WriteStartArray("tools"u8);
            var i = 0;
            foreach (var function in fields.Functions.EnumerateArray())
            {
                WriteFunction(writer, function, $"functions[{i++}]");
            }
            writer.WriteEndArray();
            hasTools = true;
        }
        if (!hasTools)
        {
            return; // Anthropic rejects tool_choice without tools
        }

        var choice = fields.ToolChoice.ValueKind != JsonValueKind.Undefined ? fields.ToolChoice : fields.FunctionCall;
        var noParallel = fields.ParallelToolCalls.ValueKind == JsonValueKind.False;
        if (choice.ValueKind == JsonValueKind.Undefined && !noParallel)
        {
            return;
        }
        writer.WriteStartObject("tool_choice"u8);
        var isNone = false;
        if (choice.ValueKind == JsonValueKind.String)
        {
            if (choice.ValueEquals("none"u8))
            {
                writer.WriteString("type"u8, "none"u8);
                isNone = true;
            }
            else if (choice.ValueEquals("required"u8))
            {
                writer.WriteString("type"u8, "any"u8);
            }
            else
            {
                writer.WriteString("type"u8, "auto"u8);
            }
        }
        else if (choice.ValueKind == JsonValueKind.Object)
        {
            // {"type":"function","function":{"name":...}} or legacy {"name":...}
            var function = choice.TryGet("function"u8, out var f) ? f : choice;
            if (!function.TryGetString("name"u8, out var name))
            {
                throw new RequestTranslationException("'tool_choice.function.name' is required.", "tool_choice.function.name");
            }
            writer.WriteString("type"u8, "tool"u8);
            writer.WritePropertyName("name"u8);
            name.WriteTo(writer);
        }
        else
        {
            writer.WriteString("type"u8, "auto"u8);
        }
        if (noParallel && !isNone)
        {
            writer.WriteBoolean("disable_parallel_tool_use"u8, true);
        }
        writer.WriteEndObject();
    }

    private static void WriteFunction(Utf8JsonWriter writer, JsonElement function, string param)
    {
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
        writer.WritePropertyName("input_schema"u8);
        if (function.TryGet("parameters"u8, out var parameters) && parameters.ValueKind == JsonValueKind.Object)
        {
            parameters.WriteTo(writer);
        }
        else
        {
            writer.WriteStartObject();
            writer.WriteString("type"u8, "object"u8);
            writer.WriteStartObject("properties"u8);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }
        writer.WriteEndObject();
    }

    // ---- top-level fields ------------------------------------------------------------------------------------

    private struct Fields
    {
        public JsonElement MaxTokens, MaxCompletionTokens, Temperature, TopP, TopK, Stop, User, Tools, ToolChoice,
            ParallelToolCalls, Functions, FunctionCall, ResponseFormat, Thinking;

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
                    case "stop": f.Stop = v; break;
                    case "user":
                        f.User = v.ValueKind == JsonValueKind.String ? v : f.User;
                        break;
                    case "safety_identifier":
                        f.User = f.User.ValueKind == JsonValueKind.String ? f.User : v;
                        break;
                    case "tools": f.Tools = v; break;
                    case "tool_choice": f.ToolChoice = v; break;
                    case "parallel_tool_calls": f.ParallelToolCalls = v; break;
                    case "functions": f.Functions = v; break;
                    case "function_call": f.FunctionCall = v; break;
                    case "response_format": f.ResponseFormat = v; break;
                    case "thinking": f.Thinking = v; break;
                    case "n":
                        if (v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n) && n > 1)
                        {
                            attempt.Warnings.Add($"{attempt.Provider.Name}: dropped 'n' (one choice only)");
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
