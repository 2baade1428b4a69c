using System.Text.Json.Serialization;

namespace Switchboard.Contracts.Outcomes;

/// <summary>
/// One upstream attempt of one client request, as the gateway reports it on the <c>outcomes</c> Redis stream.
/// A request with a retry and a hedge produces three events sharing <see cref="RequestId"/>; the pair
/// (<see cref="RequestId"/>, <see cref="Attempt"/>) is unique and is the idempotency key downstream.
/// Request-level fields (client status, client latency) are repeated on every attempt of the request,
/// so a consumer never needs to join events.
/// </summary>
public sealed record OutcomeEvent
{
    /// <summary>Schema version of this record, bumped on incompatible change.</summary>
    public int V { get; init; } = 1;

    /// <summary>The request id (the client's <c>x-request-id</c> or a generated one).</summary>
    public required string RequestId { get; init; }

    /// <summary>1-based attempt number within the request, in start order (hedges included).</summary>
    public required int Attempt { get; init; }

    /// <summary>Why this attempt was started.</summary>
    public AttemptKind Kind { get; init; } = AttemptKind.Primary;

    /// <summary>When the attempt was started (UTC).</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>Gateway key name (never the key itself); null when no keys are configured.</summary>
    public string? KeyName { get; init; }

    /// <summary>The route name the client asked for, or <c>provider/model</c> for a direct target.</summary>
    public required string Route { get; init; }

    /// <summary>The task from <c>x-switchboard-task</c>, if any.</summary>
    public string? Task { get; init; }

    /// <summary>Provider name as configured in the routing document.</summary>
    public required string Provider { get; init; }

    /// <summary>Provider type: openai, anthropic or gemini.</summary>
    public string? ProviderType { get; init; }

    /// <summary>The pinned upstream model of the target.</summary>
    public required string Model { get; init; }

    /// <summary>The model the upstream reported in its answer, if it said one.</summary>
    public string? ModelReported { get; init; }

    /// <summary>True when <see cref="ModelReported"/> differs from the pinned <see cref="Model"/>.</summary>
    public bool Drift { get; init; }

    /// <summary>True when the client asked for a stream.</summary>
    public bool Stream { get; init; }

    /// <summary>What became of this attempt.</summary>
    public required AttemptOutcome Outcome { get; init; }

    /// <summary>True for the attempt whose answer the client received.</summary>
    public bool Winner { get; init; }

    /// <summary>Upstream HTTP status, or 0 when no response arrived (connect failure, timeout).</summary>
    public int Status { get; init; }

    /// <summary>Error class when the attempt failed; null on success.</summary>
    public ErrorClass? Error { get; init; }

    /// <summary>Short, secret-free reason for a failure.</summary>
    public string? ErrorMessage { get; init; }

    /// <summary>Attempt start to last upstream byte (or failure), in milliseconds.</summary>
    public double LatencyMs { get; init; }

    /// <summary>Attempt start to first content token, in milliseconds; null if none arrived.</summary>
    public double? TtftMs { get; init; }

    /// <summary>Prompt tokens billed (including cached).</summary>
    public int InputTokens { get; init; }

    /// <summary>Completion tokens billed (including reasoning).</summary>
    public int OutputTokens { get; init; }

    /// <summary>Prompt tokens read from the provider's cache.</summary>
    public int CachedInputTokens { get; init; }

    /// <summary>Prompt tokens written to the provider's cache (Anthropic).</summary>
    public int CacheWriteTokens { get; init; }

    /// <summary>Reasoning tokens (part of <see cref="OutputTokens"/>).</summary>
    public int ReasoningTokens { get; init; }

    /// <summary>True when the token counts were estimated with a tokenizer because the provider gave no usage.</summary>
    public bool TokensEstimated { get; init; }

    /// <summary>Cost of this attempt in USD.</summary>
    public decimal CostUsd { get; init; }

    /// <summary>Status the client received for the whole request.</summary>
    public int ClientStatus { get; init; }

    /// <summary>Request received to last byte sent to the client, in milliseconds.</summary>
    public double ClientLatencyMs { get; init; }

    /// <summary>Request received to first content byte sent to the client, in milliseconds.</summary>
    public double? ClientTtftMs { get; init; }

    /// <summary>Attempts the request started in all (hedges included).</summary>
    public int Attempts { get; init; }

    /// <summary>True when the request started a hedge.</summary>
    public bool Hedged { get; init; }

    /// <summary>Cascade routes: the 0-based tier of this attempt.</summary>
    public int? Tier { get; init; }

    /// <summary>Cascade routes: the score given to this attempt's answer.</summary>
    public double? Confidence { get; init; }

    /// <summary>Share of the provider's request limit left after this attempt (0..1), from its
    /// <c>x-ratelimit-*</c> / <c>anthropic-ratelimit-*</c> headers; null when it did not say.</summary>
    public double? RequestsLeft { get; init; }

    /// <summary>Share of the provider's token limit left after this attempt (0..1); null when it did not say.</summary>
    public double? TokensLeft { get; init; }

    /// <summary>The wait the provider asked for with <c>Retry-After</c>, in milliseconds; null when it sent none.</summary>
    public double? RetryAfterMs { get; init; }

    /// <summary>Id of the gateway process that served the request.</summary>
    public string? Gateway { get; init; }

    /// <summary>Structure checks on the answer (for quality sampling); null when not checked.</summary>
    public AnswerChecks? Checks { get; init; }
}

/// <summary>Why an attempt was started.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<AttemptKind>))]
public enum AttemptKind
{
    /// <summary>The first attempt of the request.</summary>
    Primary,
    /// <summary>The same or next target after a failure.</summary>
    Retry,
    /// <summary>Started in parallel because the current attempt had no first token in time.</summary>
    Hedge,
    /// <summary>Active health probe sent by Router.Worker.</summary>
    Probe,
    /// <summary>Quality canary sent by Router.Worker.</summary>
    Canary,
    /// <summary>A cascade escalation to a higher tier.</summary>
    Escalation,
}

/// <summary>What became of an attempt.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<AttemptOutcome>))]
public enum AttemptOutcome
{
    /// <summary>The upstream answered completely.</summary>
    Success,
    /// <summary>The upstream failed (see <see cref="OutcomeEvent.Error"/>).</summary>
    Failure,
    /// <summary>The gateway cancelled it (hedge loser, client gone).</summary>
    Cancelled,
}

/// <summary>Classes of upstream failure, as health and SLO accounting group them.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ErrorClass>))]
public enum ErrorClass
{
    /// <summary>No first token or no answer within the timeout.</summary>
    Timeout,
    /// <summary>Connection refused or reset before a response.</summary>
    Connect,
    /// <summary>5xx (529 included).</summary>
    ServerError,
    /// <summary>429.</summary>
    RateLimited,
    /// <summary>401 or 403: the provider credential was refused.</summary>
    Auth,
    /// <summary>Other 4xx: the request itself was refused (not the provider's fault).</summary>
    ClientError,
    /// <summary>The upstream answer could not be parsed.</summary>
    Malformed,
    /// <summary>The stream broke after it had started.</summary>
    StreamBreak,
    /// <summary>The client went away.</summary>
    ClientCancelled,
}

/// <summary>Structure checks made on an answer.</summary>
public sealed record AnswerChecks
{
    /// <summary>JSON was asked for (response_format) and the answer parsed as JSON.</summary>
    public bool? JsonValid { get; init; }
    /// <summary>The answer had no content and no tool call.</summary>
    public bool Empty { get; init; }
    /// <summary>finish_reason was length.</summary>
    public bool Truncated { get; init; }
    /// <summary>Tool-call arguments that did not parse as JSON.</summary>
    public bool? ToolArgumentsValid { get; init; }
}
