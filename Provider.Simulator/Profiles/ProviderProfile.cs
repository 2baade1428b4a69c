namespace Switchboard.Simulator.Profiles;

// Time-to-first-token percentiles a profile's log-normal distribution is fitted to.
internal sealed record LatencyPercentiles(double P50, double P99);

// How one simulated provider behaves. Immutable: a change through the control API swaps the whole record, so a
// request in flight keeps the profile it started with.
internal sealed record ProviderProfile
{
    public required string Type { get; init; }
    public LatencyPercentiles TtftMs { get; init; } = new(0, 0);
    // Streaming pace; 0 writes every token at once, right after the first.
    public double TokensPerSecond { get; init; }
    public int OutputTokens { get; init; } = 40;
    public double FailureRate { get; init; }
    public int FailureStatus { get; init; } = 503;
    public bool Hang { get; init; }
    // Enforced when above 0: past it, 429 with Retry-After until the minute window ends.
    public int RequestsPerMinute { get; init; }
    // Only reported in the rate-limit headers, never enforced; 0 reports a limit no benchmark can use up.
    public int TokensPerMinute { get; init; }
    // Probability that an answer is cut off (connection aborted) after DisconnectAfterChunks tokens.
    public double MidStreamDisconnect { get; init; }
    // Tokens written before a mid-stream disconnect; 0 means half of the answer.
    public int DisconnectAfterChunks { get; init; }
    // Probability that a streaming answer ends, after DisconnectAfterChunks tokens, with the protocol's in-stream
    // error event (Anthropic event: error overloaded_error, an error object in OpenAI and Gemini).
    public double StreamError { get; init; }
    // Probability of a 200 answer whose body (or one SSE event) is not valid JSON.
    public double Malformed { get; init; }
    public long Seed { get; init; } = 42;
    // Answer with this model name instead of echoing the requested one (simulates silent model drift).
    public string? ReportModel { get; init; }
    // Labelled mode: probability that the correct label is answered.
    public double Accuracy { get; init; } = 1.0;
    // Whether logprobs are returned when a request asks for them (some OpenAI-compatible providers ignore it).
    public bool Logprobs { get; init; } = true;
    // When set, only this key is accepted; otherwise any non-empty key is.
    public string? ApiKey { get; init; }
    // Listed by the openai type's /v1/models.
    public IReadOnlyList<string> Models { get; init; } = [];
}
