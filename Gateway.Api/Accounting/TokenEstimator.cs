using System.Text.Json;
using Microsoft.ML.Tokenizers;
using Switchboard.Gateway.Providers;

namespace Switchboard.Gateway.Accounting;

/// <summary>
/// Counts tokens with o200k_base when a provider reports no usage for text it produced, and for cost estimates.
/// The vocabulary ships in a package, so this works offline; it is loaded on first use only.
/// </summary>
internal sealed class TokenEstimator
{
    private readonly Lazy<Tokenizer> _tokenizer = new(static () => TiktokenTokenizer.CreateForModel("gpt-4o"));

    public int Count(string? text) => string.IsNullOrEmpty(text) ? 0 : _tokenizer.Value.CountTokens(text);

    /// <summary>Prompt tokens of a chat request: message texts plus the per-message framing OpenAI bills.</summary>
    public int CountPrompt(ChatRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var total = 3;
        if (!request.Root.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array)
        {
            return total;
        }
        foreach (var message in messages.EnumerateArray())
        {
            total += 4;
            if (message.ValueKind != JsonValueKind.Object || !message.TryGetProperty("content", out var content))
            {
                continue;
            }
            if (content.ValueKind == JsonValueKind.String)
            {
                total += Count(content.GetString());
            }
            else if (content.ValueKind == JsonValueKind.Array)
            {
                foreach (var part in content.EnumerateArray())
                {
                    if (part.ValueKind == JsonValueKind.Object && part.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String)
                    {
                        total += Count(t.GetString());
                    }
                }
            }
        }
        return total;
    }

    /// <summary>Completion tokens of a <c>chat.completion</c> body (content and tool-call arguments).</summary>
    public int CountCompletion(ReadOnlyMemory<byte> body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            var total = 0;
            if (doc.RootElement.TryGetProperty("choices", out var choices) && choices.ValueKind == JsonValueKind.Array)
            {
                foreach (var choice in choices.EnumerateArray())
                {
                    if (!choice.TryGetProperty("message", out var m) || m.ValueKind != JsonValueKind.Object)
                    {
                        continue;
                    }
                    if (m.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String)
                    {
                        total += Count(c.GetString());
                    }
                    if (m.TryGetProperty("tool_calls", out var calls) && calls.ValueKind == JsonValueKind.Array)
                    {
                        foreach (var call in calls.EnumerateArray())
                        {
                            if (call.TryGetProperty("function", out var f) && f.TryGetProperty("arguments", out var a) && a.ValueKind == JsonValueKind.String)
                            {
                                total += Count(a.GetString());
                            }
                        }
                    }
                }
            }
            return total;
        }
        catch (JsonException)
        {
            return 0;
        }
    }
}
