namespace Switchboard.Simulator.Profiles;

// Partial TTFT percentiles in a patch: a missing field keeps the profile's value.
internal sealed record LatencyPatch
{
    public double? P50 { get; set; }
    public double? P99 { get; set; }
}

// Body of PUT /_sim/providers/{name} and shape of a Simulator:Providers:{name} configuration section: every field
// optional, merged into the existing profile (or a fresh one).
internal sealed record ProfilePatch
{
    // Settable rather than init-only: the configuration binding generator only assigns settable properties.
    public string? Type { get; set; }
    public LatencyPatch? TtftMs { get; set; }
    public double? TokensPerSecond { get; set; }
    public int? OutputTokens { get; set; }
    public double? FailureRate { get; set; }
    public int? FailureStatus { get; set; }
    public bool? Hang { get; set; }
    public int? RequestsPerMinute { get; set; }
    public int? TokensPerMinute { get; set; }
    public double? MidStreamDisconnect { get; set; }
    public int? DisconnectAfterChunks { get; set; }
    public double? StreamError { get; set; }
    public double? Malformed { get; set; }
    public long? Seed { get; set; }
    public string? ReportModel { get; set; }
    public double? Accuracy { get; set; }
    public bool? Logprobs { get; set; }
    public string? ApiKey { get; set; }
    public IReadOnlyList<string>? Models { get; set; }

    public ProviderProfile ApplyTo(ProviderProfile? existing)
    {
        var baseline = existing ?? new ProviderProfile { Type = Type ?? ProviderTypes.OpenAi };
        return baseline with
        {
            Type = Type ?? baseline.Type,
            TtftMs = new LatencyPercentiles(TtftMs?.P50 ?? baseline.TtftMs.P50, TtftMs?.P99 ?? baseline.TtftMs.P99),
            TokensPerSecond = TokensPerSecond ?? baseline.TokensPerSecond,
            OutputTokens = OutputTokens ?? baseline.OutputTokens,
            FailureRate = FailureRate ?? baseline.FailureRate,
            FailureStatus = FailureStatus ?? baseline.FailureStatus,
            Hang = Hang ?? baseline.Hang,
            RequestsPerMinute = RequestsPerMinute ?? baseline.RequestsPerMinute,
            TokensPerMinute = TokensPerMinute ?? baseline.TokensPerMinute,
            MidStreamDisconnect = MidStreamDisconnect ?? baseline.MidStreamDisconnect,
            DisconnectAfterChunks = DisconnectAfterChunks ?? baseline.DisconnectAfterChunks,
            StreamError = StreamError ?? baseline.StreamError,
            Malformed = Malformed ?? baseline.Malformed,
            Seed = Seed ?? baseline.Seed,
            // An empty string clears the drift.
            ReportModel = ReportModel is null ? baseline.ReportModel : ReportModel.Length == 0 ? null : ReportModel,
            Accuracy = Accuracy ?? baseline.Accuracy,
            Logprobs = Logprobs ?? baseline.Logprobs,
            ApiKey = ApiKey is null ? baseline.ApiKey : ApiKey.Length == 0 ? null : ApiKey,
            Models = Models ?? baseline.Models,
        };
    }
}

internal static class ProfileValidator
{
    // Returns the first problem with a profile, or null when it is usable.
    public static string? Validate(ProviderProfile p)
    {
        if (!ProviderTypes.IsKnown(p.Type))
        {
            return $"type must be openai, anthropic or gemini, not '{p.Type}'";
        }

        if (p.TtftMs.P50 < 0 || p.TtftMs.P99 < p.TtftMs.P50)
        {
            return "ttftMs needs 0 <= p50 <= p99";
        }

        if (p.TokensPerSecond < 0 || p.OutputTokens < 1 || p.RequestsPerMinute < 0 || p.TokensPerMinute < 0 || p.DisconnectAfterChunks < 0)
        {
            return "tokensPerSecond, requestsPerMinute, tokensPerMinute and disconnectAfterChunks must be >= 0 and outputTokens >= 1";
        }

        if (!IsProbability(p.FailureRate) || !IsProbability(p.MidStreamDisconnect) || !IsProbability(p.Malformed) || !IsProbability(p.StreamError) || !IsProbability(p.Accuracy))
        {
            return "failureRate, midStreamDisconnect, streamError, malformed and accuracy are probabilities in [0, 1]";
        }

        return p.FailureStatus is < 400 or > 599 ? "failureStatus must be an HTTP error status (400-599)" : null;
    }

    private static bool IsProbability(double v) => v is >= 0 and <= 1;
}
