using System.Text.Json;

namespace Switchboard.Gateway.Cascades;

/// <summary>One token of an answer with its log probability and the alternatives the provider listed.</summary>
internal readonly record struct TokenLogprob(string Token, double Logprob, IReadOnlyList<KeyValuePair<string, double>> Top);

/// <summary>
/// What the scorers read from an OpenAI <c>chat.completion</c> body (every adapter produces that shape): the first
/// choice's text, its first tool call's arguments and its token log probabilities (null when the provider gave none).
/// </summary>
internal sealed record CompletionAnswer(string? Text, string? ToolArguments, IReadOnlyList<TokenLogprob>? Logprobs)
{
    public static CompletionAnswer Read(ReadOnlyMemory<byte> body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            if (!document.RootElement.TryGetProperty("choices", out var choices) || choices.ValueKind != JsonValueKind.Array || choices.GetArrayLength() == 0)
            {
                return new(null, null, null);
            }
            var choice = choices[0];
            string? text = null;
            string? arguments = null;
            if (choice.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.Object)
            {
                text = message.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
                if (message.TryGetProperty("tool_calls", out var calls) && calls.ValueKind == JsonValueKind.Array && calls.GetArrayLength() > 0
                    && calls[0].TryGetProperty("function", out var function) && function.TryGetProperty("arguments", out var a) && a.ValueKind == JsonValueKind.String)
                {
                    arguments = a.GetString();
                }
            }
            return new(text, arguments, ReadLogprobs(choice));
        }
        catch (JsonException)
        {
            return new(null, null, null);
        }
    }

    private static List<TokenLogprob>? ReadLogprobs(JsonElement choice)
    {
        if (!choice.TryGetProperty("logprobs", out var logprobs) || logprobs.ValueKind != JsonValueKind.Object
            || !logprobs.TryGetProperty("content", out var content) || content.ValueKind != JsonValueKind.Array)
        {
            return null;
        }
        var tokens = new List<TokenLogprob>(content.GetArrayLength());
        foreach (var token in content.EnumerateArray())
        {
            if (!token.TryGetProperty("logprob", out var lp) || !lp.TryGetDouble(out var logprob))
            {
                return null;
            }
            var text = token.TryGetProperty("token", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "";
            var top = new List<KeyValuePair<string, double>>();
            if (token.TryGetProperty("top_logprobs", out var alternatives) && alternatives.ValueKind == JsonValueKind.Array)
            {
                foreach (var alternative in alternatives.EnumerateArray())
                {
                    if (alternative.TryGetProperty("token", out var at) && at.ValueKind == JsonValueKind.String
                        && alternative.TryGetProperty("logprob", out var alp) && alp.TryGetDouble(out var altLogprob))
                    {
                        top.Add(new(at.GetString()!, altLogprob));
                    }
                }
            }
            tokens.Add(new(text, logprob, top));
        }
        return tokens;
    }

    /// <summary>The label an answer names: trimmed, without surrounding quotes or a final full stop.</summary>
    public static string Normalise(string text) => text.Trim().TrimEnd('.', '!').Trim().Trim('"', '\'', '`').Trim();

    /// <summary>The allowed answer this text is (case-insensitive), or null.</summary>
    public static string? MatchAllowed(string? text, IReadOnlyList<string> allowed)
    {
        if (text is null)
        {
            return null;
        }
        var label = Normalise(text);
        foreach (var a in allowed)
        {
            if (string.Equals(label, Normalise(a), StringComparison.OrdinalIgnoreCase))
            {
                return a;
            }
        }
        return null;
    }
}
