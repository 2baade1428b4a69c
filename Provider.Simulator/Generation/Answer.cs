namespace Switchboard.Simulator.Generation;

internal enum FinishReason
{
    Stop,
    Length,
    ToolCalls,
}

internal readonly record struct Alternative(string Token, double Logprob);

/// <summary>Log probability of one content piece and its most likely alternatives (the piece itself first).</summary>
internal sealed record PieceLogprob(double Logprob, Alternative[] Top);

internal sealed record ToolCall(string Id, string Name, string Arguments, string[] Pieces);

/// <summary>One generated choice. Every piece (content, tool-argument fragment, thinking) is one output token.</summary>
internal sealed record Choice(string[] Pieces, ToolCall? Tool, string[] Thinking, PieceLogprob[]? Logprobs, FinishReason Finish)
{
    public string Text => string.Concat(Pieces);
    public string ThinkingText => string.Concat(Thinking);
    public int Tokens => Pieces.Length + (Tool?.Pieces.Length ?? 0) + Thinking.Length;
}

/// <summary>The complete answer to a request, produced before anything is written, so usage always matches what streams.</summary>
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

    /// <summary>Token pieces in stream order across choices (choices are streamed one after another).</summary>
    public int StreamedPieces => OutputTokens;
}
