using Switchboard.Simulator.Behaviour;
using Switchboard.Simulator.Profiles;

namespace Switchboard.Simulator.Generation;

// Builds the deterministic answer: the same seed, model and prompt always give the same text. A tool call is made
// when tools are offered and either tool_choice requires one or the last user message contains "call a tool".
internal static class AnswerComposer
{
    public const string ToolTrigger = "call a tool";

    public static Answer Compose(GenerationRequest request, ProviderProfile profile, string idPrefix, long created, long sequence)
    {
        var model = profile.ReportModel ?? request.Model;
        var hash = new StableHash();
        hash.Add(request.Model);
        var promptHash = request.Prompt.Hash ^ hash.Value;

        var choices = new Choice[Math.Clamp(request.Choices, 1, 8)];
        for (var i = 0; i < choices.Length; i++)
        {
            var random = SimRandom.For(profile.Seed, promptHash, i);
            choices[i] = ComposeChoice(request, profile, ref random, sequence, i);
        }

        var idRandom = SimRandom.For(profile.Seed, sequence);
        var id = idPrefix + IdSuffix(ref idRandom);
        return new Answer(id, model, created, request.Prompt.Tokens, choices);
    }

    public static string IdSuffix(ref SimRandom random)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        Span<char> chars = stackalloc char[24];
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i] = alphabet[random.Next(alphabet.Length)];
        }

        return new string(chars);
    }

    private static Choice ComposeChoice(GenerationRequest request, ProviderProfile profile, ref SimRandom random, long sequence, int index)
    {
        var thinking = request.ThinkingBudget > 0
            ? Words(ref random, Math.Clamp(request.ThinkingBudget / 64, 1, Math.Max(1, profile.OutputTokens)))
            : [];

        if (WantsTool(request) is { } tool)
        {
            var arguments = SchemaSampler.Sample(tool.Schema, ref random);
            var callRandom = SimRandom.For(profile.Seed, sequence * 8 + index);
            var call = new ToolCall("call_" + IdSuffix(ref callRandom), tool.Name, arguments, PieceTokenizer.Split(arguments));
            return new Choice([], call, thinking, null, FinishReason.ToolCalls);
        }

        if (request.Label is { } label)
        {
            var (answer, probability, _) = LabelOracle.Decide(profile.Seed, label, profile.Accuracy);
            var logprobs = request.Logprobs && profile.Logprobs ? new[] { LabelLogprob(label, answer, probability, request.TopLogprobs) } : null;
            return new Choice([answer], null, thinking, logprobs, FinishReason.Stop);
        }

        string[] pieces;
        var finish = FinishReason.Stop;
        switch (request.Format)
        {
            case OutputFormat.JsonSchema:
                pieces = PieceTokenizer.Split(SchemaSampler.Sample(request.Schema, ref random));
                break;
            case OutputFormat.JsonObject:
                var text = string.Concat(Words(ref random, Math.Max(1, profile.OutputTokens - 6))).Trim();
                pieces = PieceTokenizer.Split($$"""{"answer": "{{text}}"}""");
                break;
            default:
                var count = profile.OutputTokens;
                if (request.MaxTokens is { } max && max > 0 && max < count)
                {
                    count = max;
                    finish = FinishReason.Length;
                }

                pieces = Words(ref random, count);
                break;
        }

        var pieceLogprobs = request.Logprobs && profile.Logprobs ? TextLogprobs(pieces, request.TopLogprobs, ref random) : null;
        return new Choice(pieces, null, thinking, pieceLogprobs, finish);
    }

    private static ToolSpec? WantsTool(GenerationRequest request)
    {
        if (request.Tools.Count == 0 || request.ToolMode == ToolMode.None)
        {
            return null;
        }

        if (request.ForcedTool is { } forced)
        {
            return request.Tools.FirstOrDefault(t => t.Name == forced) ?? request.Tools[0];
        }

        return request.ToolMode == ToolMode.Required || request.LastUserText.Contains(ToolTrigger, StringComparison.OrdinalIgnoreCase)
            ? request.Tools[0]
            : null;
    }

    // Sentence-like text: one word per piece, capitalised after a full stop, ending with one.
    private static string[] Words(ref SimRandom random, int count)
    {
        var pieces = new string[count];
        var capitalise = true;
        for (var i = 0; i < count; i++)
        {
            var word = random.Next(Vocabulary.Words.Length);
            var sentenceEnd = i == count - 1 || random.Next(10) == 0;
            pieces[i] = Vocabulary.Piece(word, leadingSpace: i > 0, capitalise, sentenceEnd);
            capitalise = sentenceEnd;
        }

        return pieces;
    }

    private static PieceLogprob[] TextLogprobs(string[] pieces, int top, ref SimRandom random)
    {
        var result = new PieceLogprob[pieces.Length];
        for (var i = 0; i < pieces.Length; i++)
        {
            var u = random.NextDouble();
            var logprob = -0.01 - 1.5 * u * u * u;
            var alternatives = new Alternative[Math.Clamp(top, 0, 20)];
            for (var j = 0; j < alternatives.Length; j++)
            {
                alternatives[j] = j == 0
                    ? new Alternative(pieces[i], logprob)
                    : new Alternative(" " + Vocabulary.Words[random.Next(Vocabulary.Words.Length)], logprob - 1.0 - 0.7 * j);
            }

            result[i] = new PieceLogprob(logprob, alternatives);
        }

        return result;
    }

    private static PieceLogprob LabelLogprob(LabelRequest label, string answer, double probability, int top)
    {
        var others = label.Labels.Where(l => !string.Equals(l, answer, StringComparison.Ordinal)).ToArray();
        var alternatives = new List<Alternative>(Math.Max(1, top));
        if (top > 0)
        {
            alternatives.Add(new Alternative(answer, Math.Log(probability)));
            var rest = others.Length > 0 ? (1 - probability) / others.Length : 0;
            foreach (var other in others.Take(top - 1))
            {
                alternatives.Add(new Alternative(other, Math.Log(Math.Max(rest, 1e-9))));
            }
        }

        return new PieceLogprob(Math.Log(probability), [.. alternatives]);
    }
}
