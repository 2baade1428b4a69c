using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using Switchboard.Contracts.Routing;
using Switchboard.Gateway.Configuration;
using Switchboard.Gateway.Providers;

namespace Switchboard.Gateway.Cascades;

/// <summary>What a scorer may look at and ask for while scoring one tier's answer.</summary>
internal sealed class ScoringContext
{
    public required CompletionAnswer Answer { get; init; }
    public required CascadePolicy Policy { get; init; }
    public required ChatRequest ClientRequest { get; init; }
    public required GatewayConfig Config { get; init; }
    /// <summary>The body this tier was asked with (a copy the scorer may change).</summary>
    public required JsonObject TierBody { get; init; }
    /// <summary>
    /// Sends another non-streaming request through this request's attempt pipeline (same deadline, failover and
    /// accounting): to <paramref name="route"/>, or to this tier when null. Null when it produced no answer.
    /// </summary>
    public required Func<JsonObject, ResolvedRoute?, Task<CompletionAnswer?>> AskAsync { get; init; }
}

/// <summary>Scores a tier's answer in [0, 1]; the cascade returns it when the score reaches minConfidence.</summary>
internal interface ICascadeScorer
{
    string Name { get; }

    /// <summary>Whether tiers should be asked for token log probabilities (openai-type providers only).</summary>
    bool WantsLogprobs { get; }

    Task<double> ScoreAsync(ScoringContext context);
}

/// <summary>
/// Probability of the answer from the provider's token log probabilities: with allowedAnswers, the probability of the
/// chosen label (the product of its tokens' probabilities; 0 when the answer is not an allowed label); otherwise the
/// geometric mean of the token probabilities. An answer without log probabilities (Anthropic and Gemini tiers, or an
/// OpenAI-compatible server that ignores the field) scores 0: it is escalated, never trusted blindly.
/// </summary>
internal sealed class LogprobsScorer : ICascadeScorer
{
    public string Name => Scorers.Logprobs;
    public bool WantsLogprobs => true;

    public Task<double> ScoreAsync(ScoringContext context) => Task.FromResult(Score(context.Answer, context.Policy.AllowedAnswers));

    public static double Score(CompletionAnswer answer, IReadOnlyList<string>? allowed)
    {
        if (answer.Logprobs is not { Count: > 0 } tokens)
        {
            return 0;
        }
        var sum = 0.0;
        foreach (var t in tokens)
        {
            sum += t.Logprob;
        }
        if (allowed is { Count: > 0 })
        {
            return CompletionAnswer.MatchAllowed(answer.Text, allowed) is null ? 0 : Math.Clamp(Math.Exp(sum), 0, 1);
        }
        return Math.Clamp(Math.Exp(sum / tokens.Count), 0, 1);
    }
}

/// <summary>
/// 1 when the answer is one of allowedAnswers, or parses and validates against the request's
/// <c>response_format</c> JSON schema (a <c>json_object</c> format: parses as an object; a tool call: its arguments
/// parse as an object); else 0. A request with none of these has nothing to check and scores 0.
/// </summary>
internal sealed class SchemaScorer : ICascadeScorer
{
    private readonly ConcurrentDictionary<string, JsonSchema?> _schemas = new(StringComparer.Ordinal);

    public string Name => Scorers.Schema;
    public bool WantsLogprobs => false;

    public Task<double> ScoreAsync(ScoringContext context) => Task.FromResult(Score(context.Answer, context.Policy.AllowedAnswers, context.ClientRequest.Root));

    public double Score(CompletionAnswer answer, IReadOnlyList<string>? allowed, JsonElement request)
    {
        if (allowed is { Count: > 0 })
        {
            return CompletionAnswer.MatchAllowed(answer.Text, allowed) is null ? 0 : 1;
        }
        if (answer.Text is null && answer.ToolArguments is { } arguments)
        {
            return ParsesAsObject(arguments) ? 1 : 0;
        }
        if (answer.Text is not { } text || !request.TryGetProperty("response_format", out var format) || format.ValueKind != JsonValueKind.Object)
        {
            return 0;
        }
        var type = format.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
        text = StripFence(text.Trim());
        if (type == "json_object")
        {
            return ParsesAsObject(text) ? 1 : 0;
        }
        if (type != "json_schema" || !format.TryGetProperty("json_schema", out var spec) || !spec.TryGetProperty("schema", out var schemaElement))
        {
            return 0;
        }
        var schema = _schemas.GetOrAdd(schemaElement.GetRawText(), static s =>
        {
            try
            {
                return JsonSchema.FromText(s);
            }
            catch (Exception ex) when (ex is JsonException or ArgumentException or InvalidOperationException or FormatException)
            {
                return null;
            }
        });
        if (schema is null)
        {
            return 0;
        }
        try
        {
            using var document = JsonDocument.Parse(text);
            return schema.Evaluate(document.RootElement).IsValid ? 1 : 0;
        }
        catch (JsonException)
        {
            return 0;
        }
    }

    private static bool ParsesAsObject(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.ValueKind == JsonValueKind.Object;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Models often wrap JSON in a Markdown code fence.</summary>
    private static string StripFence(string text)
    {
        if (!text.StartsWith("```", StringComparison.Ordinal))
        {
            return text;
        }
        var start = text.IndexOf('\n', StringComparison.Ordinal);
        var end = text.LastIndexOf("```", StringComparison.Ordinal);
        return start >= 0 && end > start ? text[(start + 1)..end] : text;
    }
}

/// <summary>
/// Asks the route named by judgeRoute whether the answer is correct and supported by the conversation, and scores
/// P(yes): from the judge's first-token log probabilities (yes against no among its top alternatives) when its
/// provider gives them, else 1 for a plain yes and 0 for anything else. The judge's cost is part of the request's.
/// </summary>
internal sealed class JudgeScorer : ICascadeScorer
{
    public string Name => Scorers.Judge;
    public bool WantsLogprobs => false;

    public async Task<double> ScoreAsync(ScoringContext context)
    {
        if (context.Policy.JudgeRoute is not { } judgeName || context.Config.Resolve(judgeName) is not { } judge)
        {
            return 0;
        }
        var proposed = context.Answer.Text ?? context.Answer.ToolArguments;
        if (string.IsNullOrWhiteSpace(proposed))
        {
            return 0;
        }
        var body = new JsonObject
        {
            ["model"] = judgeName,
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = Prompt(context.ClientRequest.Root, proposed) }),
            ["max_tokens"] = 5,
            ["temperature"] = 0,
        };
        if (Array.TrueForAll(judge.Targets, t => t.Provider.Type == ProviderTypes.OpenAI))
        {
            body["logprobs"] = true;
            body["top_logprobs"] = 5;
        }
        var verdict = await context.AskAsync(body, judge).ConfigureAwait(false);
        return verdict is null ? 0 : Verdict(verdict);
    }

    internal static string Prompt(JsonElement request, string proposed)
    {
        var prompt = new StringBuilder("Check an assistant's answer to the conversation below.\n\n");
        if (request.TryGetProperty("messages", out var messages) && messages.ValueKind == JsonValueKind.Array)
        {
            foreach (var message in messages.EnumerateArray())
            {
                var role = message.TryGetProperty("role", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : "user";
                prompt.Append(role).Append(": ").Append(Text(message)).Append("\n\n");
            }
        }
        prompt.Append("Proposed answer: ").Append(proposed.Trim()).Append("\n\n");
        prompt.Append("Is the proposed answer correct and supported by the conversation? Reply with one word: yes or no.");
        return prompt.ToString();
    }

    private static string Text(JsonElement message)
    {
        if (!message.TryGetProperty("content", out var content))
        {
            return "";
        }
        if (content.ValueKind == JsonValueKind.String)
        {
            return content.GetString()!;
        }
        var text = new StringBuilder();
        if (content.ValueKind == JsonValueKind.Array)
        {
            foreach (var part in content.EnumerateArray())
            {
                if (part.ValueKind == JsonValueKind.Object && part.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String)
                {
                    text.Append(t.GetString()).Append('\n');
                }
            }
        }
        return text.ToString().TrimEnd();
    }

    internal static double Verdict(CompletionAnswer verdict)
    {
        var said = verdict.Text is { } t ? CompletionAnswer.Normalise(t).ToLowerInvariant() : "";
        var yes = said.StartsWith("yes", StringComparison.Ordinal);
        if (verdict.Logprobs is not { Count: > 0 } tokens)
        {
            return yes ? 1 : 0;
        }
        var first = tokens[0];
        double? pYes = null, pNo = null;
        foreach (var (token, logprob) in first.Top)
        {
            var word = CompletionAnswer.Normalise(token).ToLowerInvariant();
            if (word == "yes")
            {
                pYes ??= Math.Exp(logprob);
            }
            else if (word == "no")
            {
                pNo ??= Math.Exp(logprob);
            }
        }
        var chosen = Math.Exp(first.Logprob);
        if (yes)
        {
            pYes ??= chosen;
        }
        else if (said.StartsWith("no", StringComparison.Ordinal))
        {
            pNo ??= chosen;
        }
        return (pYes, pNo) switch
        {
            ({ } y, { } n) when y + n > 0 => y / (y + n),
            ({ } y, null) => y,
            (null, { } n) => 1 - n,
            _ => 0,
        };
    }
}

/// <summary>
/// Asks the same tier for a second sample (another <c>seed</c>) and scores 1 when both answers agree (the same
/// allowed label, or the same normalised text / tool arguments), else 0. Costs a second cheap call and its latency.
/// </summary>
internal sealed class AgreementScorer : ICascadeScorer
{
    public string Name => Scorers.Agreement;
    public bool WantsLogprobs => false;

    public async Task<double> ScoreAsync(ScoringContext context)
    {
        var body = context.TierBody;
        var seed = body["seed"] is JsonValue v && v.TryGetValue<long>(out var s) ? s + 1 : 1;
        body["seed"] = seed;
        var second = await context.AskAsync(body, null).ConfigureAwait(false);
        return second is not null && Agree(context.Answer, second, context.Policy.AllowedAnswers) ? 1 : 0;
    }

    internal static bool Agree(CompletionAnswer first, CompletionAnswer second, IReadOnlyList<string>? allowed)
    {
        if (allowed is { Count: > 0 })
        {
            var a = CompletionAnswer.MatchAllowed(first.Text, allowed);
            return a is not null && a == CompletionAnswer.MatchAllowed(second.Text, allowed);
        }
        var x = first.Text ?? first.ToolArguments;
        var y = second.Text ?? second.ToolArguments;
        return x is not null && y is not null
            && string.Equals(CompletionAnswer.Normalise(x), CompletionAnswer.Normalise(y), StringComparison.OrdinalIgnoreCase);
    }
}

internal static class ScoreFormat
{
    public static string Header(double score) => Math.Round(score, 4).ToString("0.####", CultureInfo.InvariantCulture);
}
