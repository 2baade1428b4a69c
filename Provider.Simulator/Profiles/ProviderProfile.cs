namespace Switchboard.Simulator.Profiles;

/// <summary>Time-to-first-token percentiles a profile's log-normal distribution is fitted to.</summary>
internal sealed record LatencyPercentiles(double P50, double P99);

/// <summary>
/// How one simulated provider behaves. Immutable: a change through the control API swaps the whole record,
/// so a request in flight keeps the profile it started with.
/// </summary>
internal sealed record ProviderProfile
{
    public required string Type { get; init; }
    public LatencyPercentiles TtftMs { get; init; } = new(0, 0);
    /// <summary>Streaming pace; 0 writes every token at once, right after the first.</summary>
    public double TokensPerSecond { get; init; }
    public int OutputTokens { get; init; } = 40;
    public double FailureRate { get; init; }
    public int FailureStatus { get; init; } = 503;
    public bool Hang { get; init; }
    /// <summary>Enforced when above 0: past it, 429 with Retry-After until the minute window ends.</summary>
    public int RequestsPerMinute { get; init; }
    /// <summary>Only reported in the rate-limit headers, never enforced; 0 reports a limit no benchmark can use up.</summary>
    public int TokensPerMinute { get; init; }
    /// <summary>Probability that an answer is cut off (connection aborted) after <see cref="DisconnectAfterChunks"/> tokens.</summary>
    public double MidStreamDisconnect { get; init; }
    /// <summary>Tokens written before a mid-stream disconnect; 0 means half of the answer.</summary>
    public int DisconnectAfterChunks { get; init; }
    /// <summary>
    /// Probability that a streaming answer ends, after <see cref="DisconnectAfterChunks"/> tokens, with the protocol's
    /// in-stream error event (Anthropic <c>event: error</c> overloaded_error, an <c>error</c> object in OpenAI and Gemini).
    /// </summary>
    public double StreamError { get; init; }
    /// <summary>Probability of a 200 answer whose body (or one SSE event) is not valid JSON.</summary>
    public double Malformed { get; init; }
    public long Seed { get; init; } = 42;
    /// <summary>Answer with this model name instead of echoing the requested one (simulates silent model drift).</summary>
    public string? ReportModel { get; init; }
    /// <summary>Labelled mode: probability that the correct label is answered.</summary>
    public double Accuracy { get; init; } = 1.0;
    /// <summary>Whether logprobs are returned when a request asks for them (some OpenAI-compatible providers ignore it).</summary>
    public bool Logprobs { get; init; } = true;
    /// <summary>When set, only this key is accepted; otherwise any non-empty key is.</summary>
    public string? ApiKey { get; init; }
    /// <summary>Listed by the openai type's <c>/v1/models</c>.</summary>
    public IReadOnlyList<string> Models { get; init; } = [];
}
