namespace Switchboard.Simulator.Generation;

// Splits text into the pieces the simulator streams and counts as tokens: a word or a run of punctuation, each with
// at most one leading space. Concatenating the pieces gives the text back exactly.
internal static class PieceTokenizer
{
    public static string[] Split(string text)
    {
        var pieces = new List<string>();
        var i = 0;
        while (i < text.Length)
        {
            var start = i;
            if (text[i] == ' ' && i + 1 < text.Length && text[i + 1] != ' ')
            {
                i++;
            }

            var kind = Kind(text[i]);
            i++;
            while (i < text.Length && Kind(text[i]) == kind && kind != CharKind.Space)
            {
                i++;
            }

            pieces.Add(text[start..i]);
        }

        return [.. pieces];
    }

    private enum CharKind
    {
        Word,
        Space,
        Punctuation,
    }

    private static CharKind Kind(char c) =>
        char.IsLetterOrDigit(c) || c == '_' ? CharKind.Word : char.IsWhiteSpace(c) ? CharKind.Space : CharKind.Punctuation;
}
