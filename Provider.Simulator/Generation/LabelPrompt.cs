using System.Text.RegularExpressions;

namespace Switchboard.Simulator.Generation;

// Labelled mode carried in the prompt, so a client reaches it through any gateway that forwards the conversation
// (a gateway need not, and should not, forward test headers). The last user message contains
//   [[sim-label item=<id> labels=<a,b,c> answer=<correct>]]
// A verifier prompt is recognised the same way a real judge model would read it: when that message also has a line
// "Proposed answer: <text>", the question becomes "is the proposed answer right?" with labels yes/no, answered with
// the profile's accuracy. An OpenAI "seed" field draws an independent sample of the same item (agreement scoring).
internal static partial class LabelPrompt
{
    public const string VerifyLabel = "Proposed answer:";

    public static LabelRequest? Parse(string lastUserText, long? seed)
    {
        if (lastUserText.Length == 0 || !lastUserText.Contains("[[sim-label", StringComparison.Ordinal))
        {
            return null;
        }

        var match = Marker().Match(lastUserText);
        if (!match.Success)
        {
            return null;
        }

        var labels = match.Groups["labels"].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (labels.Length == 0)
        {
            return null;
        }

        var item = match.Groups["item"].Value;
        var correct = match.Groups["answer"].Value.Trim();
        var verify = lastUserText.IndexOf(VerifyLabel, StringComparison.Ordinal);
        if (verify >= 0)
        {
            var proposed = FirstLine(lastUserText.AsSpan(verify + VerifyLabel.Length));
            var right = string.Equals(Normalise(proposed), Normalise(correct), StringComparison.OrdinalIgnoreCase);
            return new LabelRequest($"{item}|verify|{proposed}", ["yes", "no"], right ? "yes" : "no", seed);
        }

        return new LabelRequest(item, labels, correct, seed);
    }

    private static string FirstLine(ReadOnlySpan<char> text)
    {
        text = text.TrimStart();
        var end = text.IndexOfAny('\r', '\n');
        return (end >= 0 ? text[..end] : text).Trim().ToString();
    }

    private static string Normalise(string label) => label.Trim().TrimEnd('.', '!').Trim('"', '\'', ' ');

    [GeneratedRegex(@"\[\[sim-label\s+item=(?<item>\S+)\s+labels=(?<labels>[^\s\]]+)\s+answer=(?<answer>[^\s\]]+)\s*\]\]", RegexOptions.CultureInvariant)]
    private static partial Regex Marker();
}
