using System.Text.Json;

namespace Switchboard.Simulator.Generation;

internal enum ToolMode
{
    Auto,
    None,
    Required,
}

internal enum OutputFormat
{
    Text,
    JsonObject,
    JsonSchema,
}

internal sealed record ToolSpec(string Name, JsonElement? Schema);

// Labelled mode (cascade experiments): the request says which label is correct; the profile's accuracy decides.
// Seed (the request's own "seed" field) draws another independent sample of the same item.
internal sealed record LabelRequest(string Item, IReadOnlyList<string> Labels, string Correct, long? Seed = null);

// What the answer depends on, read from any of the three protocols. Schemas are JsonElements into the request
// document, so an instance lives only as long as the handler that parsed it.
internal sealed class GenerationRequest
{
    public string Model { get; set; } = "";
    public bool Stream { get; set; }
    public bool IncludeUsage { get; set; }
    // Stream as SSE; false only for Gemini's streamGenerateContent without alt=sse (a JSON array).
    public bool SseFraming { get; set; } = true;
    public int Choices { get; set; } = 1;
    public int? MaxTokens { get; set; }
    public PromptMeasure Prompt { get; set; }
    public string LastUserText { get; set; } = "";
    public List<ToolSpec> Tools { get; } = [];
    public ToolMode ToolMode { get; set; }
    public string? ForcedTool { get; set; }
    public OutputFormat Format { get; set; }
    public JsonElement? Schema { get; set; }
    public bool Logprobs { get; set; }
    public int TopLogprobs { get; set; }
    public int ThinkingBudget { get; set; }
    public LabelRequest? Label { get; set; }
}

// Counts the prompt while a reader walks it. The documented rule: prompt tokens = ceil(characters of input text / 4)
// + 4 per message (+ the length of tool definitions / 4); the text also seeds the answer, so the same prompt gets the
// same answer.
internal struct PromptMeasure()
{
    private Behaviour.StableHash _hash = new();

    public int Characters { get; private set; }
    public int Messages { get; private set; }
    public int ToolCharacters { get; set; }
    public readonly ulong Hash => _hash.Value;

    public readonly int Tokens => (Characters + 3) / 4 + 4 * Messages + (ToolCharacters + 3) / 4;

    public void AddText(string text)
    {
        Characters += text.Length;
        _hash.Add(text);
    }

    public void AddMessage() => Messages++;
}
