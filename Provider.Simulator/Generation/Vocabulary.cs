namespace Switchboard.Simulator.Generation;

internal static class Vocabulary
{
    public static readonly string[] Words =
    [
        "the", "model", "answer", "request", "latency", "token", "stream", "provider", "gateway", "route",
        "simple", "quick", "result", "value", "system", "service", "data", "fast", "reliable", "test",
        "plan", "cloud", "budget", "cost", "health", "signal", "output", "input", "message", "window",
        "of", "and", "to", "in", "is", "for", "with", "on", "that", "this",
        "it", "as", "by", "from", "at", "an", "be", "are", "was", "will",
        "every", "some", "more", "less", "first", "last", "next", "good", "small", "large",
        "clear", "steady", "sample", "done",
    ];

    // Every spelling of every word, built once: composing an answer allocates no strings.
    private static readonly string[] Spellings = BuildSpellings();

    public static string Piece(int word, bool leadingSpace, bool capitalise, bool sentenceEnd) =>
        Spellings[word * 8 + (leadingSpace ? 4 : 0) + (capitalise ? 2 : 0) + (sentenceEnd ? 1 : 0)];

    private static string[] BuildSpellings()
    {
        var spellings = new string[Words.Length * 8];
        for (var w = 0; w < Words.Length; w++)
        {
            for (var variant = 0; variant < 8; variant++)
            {
                var word = Words[w];
                var text = (variant & 2) != 0 ? char.ToUpperInvariant(word[0]) + word[1..] : word;
                spellings[w * 8 + variant] = ((variant & 4) != 0 ? " " : "") + text + ((variant & 1) != 0 ? "." : "");
            }
        }

        return spellings;
    }
}
