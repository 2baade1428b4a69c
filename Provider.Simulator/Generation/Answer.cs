namespace Switchboard.Simulator.Generation;

internal enum FinishReason
{
    Stop,
    Length,
    ToolCalls,
}

internal readonly record struct Alternative(string Token, double Logprob);

// Log probability of one content piece and its most likely alternatives (the piece itself first).
internal sealed record PieceLogprob(double Logprob, Alternative[] Top);

internal sealed record ToolCall(string Id, string Name, string Arguments, string[] Pieces);

// One generated choice. Every piece (content, tool-argument fragment, thinking) is one output token.
internal sealed record Choice(string[] Pieces, ToolCall? Tool, string[] Thinking, PieceLogprob[]? Logprobs, FinishReason Finish)
{
    public int Tokens => Pieces.Length + (Tool?.Pieces.Length ?? 0) + Thinking.Length;
}

// The complete answer to a request, produced before anything is written, so usage always matches what streams.
internal sealed record Answer(string Id, string Model, long Created, int PromptTokens, Choice[] Choices)
{
    public int OutputTokens
    {
        get
        {
            var total = 0;
            foreach (var c in Choices)
            {
                total += c.Tokens;
            }

            return total;
        }
    }

    // Token pieces in stream order across choices (choices are streamed one after another).
    public int StreamedPieces => OutputTokens;
}
