using System.Text.Json;

namespace Switchboard.Gateway.Providers;

/// <summary>What one part of an OpenAI conversation is, for an adapter that writes it in another protocol.</summary>
internal enum ConversationPartKind : byte
{
    Text,       // Element: a JSON string
    Image,      // Element: the image_url value (object with url, or the url string)
    Audio,      // Element: the input_audio object {data, format}
    File,       // Element: the file object of a "file" part
    ToolCall,   // Element: one tool_calls[] item (or a legacy function_call object)
    ToolResult, // Element: the tool (or function) message; Name: the function name, when the provider needs it
}

/// <summary>One part of a turn, with the request path it came from (for 400s that name the field).</summary>
internal readonly record struct ConversationPart(ConversationPartKind Kind, JsonElement Element, string Param, string? Name = null);

/// <summary>Consecutive messages of one role, merged (providers that want alternating roles need it).</summary>
internal sealed class ConversationTurn(string role)
{
    public string Role { get; } = role;
    public List<ConversationPart> Parts { get; } = [];
}

/// <summary>What a provider accepts of a conversation.</summary>
/// <param name="Provider">How error messages name it ("an Anthropic provider").</param>
/// <param name="AssistantRole">Its name for the assistant's role.</param>
/// <param name="Audio">Whether user messages may carry input_audio parts.</param>
/// <param name="ToolNames">
/// Whether a tool result must name its function (Gemini's functionResponse does): tool_call_id is then required
/// and resolved against the earlier assistant tool calls, and a tool call must name its function.
/// </param>
internal sealed record ConversationRules(string Provider, string AssistantRole, bool Audio, bool ToolNames);

/// <summary>
/// Reads the <c>messages</c> of an OpenAI Chat Completions request once, for every translating adapter: system and
/// developer text apart, then user, assistant (text, tool calls) and tool turns, consecutive roles merged, empty
/// assistant turns dropped; anything the provider cannot take is a <see cref="RequestTranslationException"/>
/// naming the field.
/// </summary>
internal static class OpenAIConversation
{
    public static List<ConversationTurn> Read(JsonElement messages, ConversationRules rules, out List<JsonElement> system)
    {
        ArgumentNullException.ThrowIfNull(rules);
        system = [];
        var turns = new List<ConversationTurn>(messages.GetArrayLength());
        Dictionary<string, string>? toolNames = null; // tool_call_id -> function name
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
                AddContent(TurnFor(turns, "user"), content, param, rules, allowMedia: true);
            }
            else if (role.ValueEquals("assistant"u8))
            {
                var turn = TurnFor(turns, rules.AssistantRole);
                AddContent(turn, content, param, rules, allowMedia: false);
                if (message.TryGet("tool_calls"u8, out var toolCalls) && toolCalls.ValueKind == JsonValueKind.Array)
                {
                    var j = 0;
                    foreach (var call in toolCalls.EnumerateArray())
                    {
                        var callParam = $"{param}.tool_calls[{j++}]";
                        if (rules.ToolNames)
                        {
                            if (!call.TryGet("function"u8, out var function) || !function.TryGetString("name"u8, out var name))
                            {
                                throw new RequestTranslationException($"'{callParam}.function.name' is required.", callParam + ".function.name");
                            }
                            if (call.TryGetString("id"u8, out var id))
                            {
                                (toolNames ??= new(StringComparer.Ordinal))[id.GetString()!] = name.GetString()!;
                            }
                        }
                        turn.Parts.Add(new(ConversationPartKind.ToolCall, call, callParam));
                    }
                }
                else if (message.TryGet("function_call"u8, out var functionCall) && functionCall.ValueKind == JsonValueKind.Object)
                {
                    turn.Parts.Add(new(ConversationPartKind.ToolCall, functionCall, param + ".function_call"));
                }
                if (turn.Parts.Count == 0)
                {
                    turns.Remove(turn); // an empty assistant turn is invalid for these providers; nothing is lost
                }
            }
            else if (role.ValueEquals("tool"u8) || role.ValueEquals("function"u8))
            {
                TurnFor(turns, "user").Parts.Add(new(ConversationPartKind.ToolResult, message, param, rules.ToolNames ? ToolName(message, role, param, toolNames) : null));
            }
            else
            {
                throw new RequestTranslationException($"'{param}.role' has an unknown value '{role.GetString()}'.", param + ".role");
            }
        }
        return turns;
    }

    private static string ToolName(JsonElement message, JsonElement role, string param, Dictionary<string, string>? toolNames)
    {
        if (role.ValueEquals("function"u8))
        {
            return message.TryGetString("name"u8, out var name)
                ? name.GetString()!
                : throw new RequestTranslationException($"'{param}.name' is required.", param + ".name");
        }
        if (!message.TryGetString("tool_call_id"u8, out var id))
        {
            throw new RequestTranslationException($"'{param}.tool_call_id' is required.", param + ".tool_call_id");
        }
        string? known = null;
        if (toolNames?.TryGetValue(id.GetString()!, out known) != true)
        {
            throw new RequestTranslationException($"'{param}.tool_call_id' matches no tool call of an earlier assistant message.", param + ".tool_call_id");
        }
        return known!;
    }

    private static ConversationTurn TurnFor(List<ConversationTurn> turns, string role)
    {
        if (turns.Count > 0 && turns[^1].Role == role)
        {
            return turns[^1];
        }
        var turn = new ConversationTurn(role);
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

    private static void AddContent(ConversationTurn turn, JsonElement content, string param, ConversationRules rules, bool allowMedia)
    {
        switch (content.ValueKind)
        {
            case JsonValueKind.String:
                if (!JsonText.IsEmptyString(content))
                {
                    turn.Parts.Add(new(ConversationPartKind.Text, content, param + ".content"));
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
                    turn.Parts.Add(new(ConversationPartKind.Text, text, partParam));
                }
            }
            else if (type.ValueEquals("refusal"u8) && part.TryGetString("refusal"u8, out var refusal))
            {
                turn.Parts.Add(new(ConversationPartKind.Text, refusal, partParam));
            }
            else if (allowMedia && type.ValueEquals("image_url"u8) && part.TryGetProperty("image_url"u8, out var image))
            {
                turn.Parts.Add(new(ConversationPartKind.Image, image, partParam + ".image_url"));
            }
            else if (allowMedia && rules.Audio && type.ValueEquals("input_audio"u8) && part.TryGetProperty("input_audio"u8, out var audio))
            {
                turn.Parts.Add(new(ConversationPartKind.Audio, audio, partParam + ".input_audio"));
            }
            else if (allowMedia && type.ValueEquals("file"u8) && part.TryGetProperty("file"u8, out var file))
            {
                turn.Parts.Add(new(ConversationPartKind.File, file, partParam + ".file"));
            }
            else
            {
                throw new RequestTranslationException(
                    $"Content part type '{type.GetString()}' at '{partParam}' cannot be sent to {rules.Provider}.", partParam + ".type");
            }
        }
    }
}
