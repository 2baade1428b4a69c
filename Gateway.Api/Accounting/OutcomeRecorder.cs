using Microsoft.Extensions.Options;
using Switchboard.Contracts.Outcomes;
using Switchboard.Gateway.Configuration;
using Switchboard.Gateway.Keys;
using Switchboard.Gateway.Limits;
using Switchboard.Gateway.Outcomes;
using Switchboard.Gateway.Providers;
using Switchboard.Gateway.Providers.OpenAI;
using Switchboard.Gateway.Routing;

namespace Switchboard.Gateway.Accounting;

/// <summary>
/// Turns a finished request into one <see cref="OutcomeEvent"/> per attempt: tokens (the provider's usage, or
/// counted with o200k_base when it gave none for text it produced; estimated from sizes for attempts cut off first), cost from the price table, latency, TTFT, drift. Runs after the
/// response is complete, so the client never waits for it.
/// </summary>
internal sealed class OutcomeRecorder(
    IOutcomeSink sink, TokenEstimator tokens, KeyAdmission admission, ProviderLimiter providerLimits, TimeProvider timeProvider, IOptions<GatewayOptions> options)
{
    private readonly string _gateway = options.Value.InstanceId ?? Environment.MachineName + ":" + Environment.ProcessId;

    /// <summary>Usage of an attempt and whether it was estimated.</summary>
    public (TokenUsage Usage, bool Estimated) UsageOf(RequestState state, Attempt attempt)
    {
        var reported = attempt.Completion?.Usage ?? attempt.Translator?.Usage;
        if (reported is not null)
        {
            return (reported, false);
        }
        if (attempt.Outcome == AttemptOutcome.Failure && attempt.FirstTokenTimestamp is null)
        {
            // Refused or failed before generating: nothing billed.
            return (new TokenUsage(0, 0), false);
        }
        var captured = attempt.Translator is IOutputTextSource source ? source.CapturedText : null;
        if (attempt.Outcome == AttemptOutcome.Cancelled || (attempt.Completion is null && attempt.FirstTokenTimestamp is null && string.IsNullOrEmpty(captured)))
        {
            // Cut off by us (client gone, lost hedge) or before it produced anything: the upstream never got to
            // report usage, and an estimate from sizes (about 4 bytes a token) is enough. Tokenizing would load
            // o200k_base (~50 MB resident) on the first client that hangs up. The tokenizer stays for text an
            // upstream produced and finished without reporting usage.
            return (new TokenUsage(PromptTokensFromSize(state.Request), captured is null ? 0 : (captured.Length + 3) / 4), true);
        }
        var input = tokens.CountPrompt(state.Request);
        var output = attempt.Completion is { } c ? tokens.CountCompletion(c.Body) : tokens.Count(captured);
        return (new TokenUsage(input, output), true);
    }

    /// <summary>About 4 bytes of JSON request per prompt token (the body's framing makes it an overestimate for English text).</summary>
    internal static int PromptTokensFromSize(ChatRequest request) => 3 + ((request.Body.Length + 3) / 4);

    public decimal CostOf(RequestState state, Attempt attempt) => state.Config.Prices.Cost(attempt.Target.Model, UsageOf(state, attempt).Usage);

    public async Task RecordAsync(RequestState state, int clientStatus, long? clientFirstByteTimestamp)
    {
        await AttemptPipeline.WhenAllQuietly(state.Attempts).ConfigureAwait(false);
        var clientLatency = timeProvider.GetElapsedTime(state.ReceivedTimestamp).TotalMilliseconds;
        double? clientTtft = clientFirstByteTimestamp is { } f ? timeProvider.GetElapsedTime(state.ReceivedTimestamp, f).TotalMilliseconds : null;
        long totalTokens = 0;
        var totalCost = 0m;
        foreach (var a in state.Attempts)
        {
            if (a.Outcome == AttemptOutcome.Failure && a.Error is null && a.Run.IsCompletedSuccessfully && a.Run.Result)
            {
                // Reached commitment but never relayed (lost to a faster attempt in the same instant).
                a.Cancel(CancelReason.LostHedge);
                a.MarkCancelledOrTimedOut();
            }
            var (usage, estimated) = UsageOf(state, a);
            var reported = a.Completion?.ReportedModel ?? a.Translator?.ReportedModel;
            var cost = state.Config.Prices.Cost(a.Target.Model, usage);
            totalTokens += usage.Input + usage.Output;
            totalCost += cost;
            providerLimits.RecordTokens(a.Target.Provider, usage.Input + usage.Output);
            var limit = a.RateLimit;
            sink.Publish(new OutcomeEvent
            {
                RequestId = state.RequestId,
                Attempt = a.Number,
                Kind = a.Kind,
                StartedAt = a.StartedAt,
                KeyName = state.KeyName,
                Route = state.Route.Name,
                Task = state.Task,
                Provider = a.Target.Provider.Name,
                ProviderType = a.Target.Provider.Type,
                Model = a.Target.Model,
                ModelReported = reported,
                Drift = IsDrift(a.Target.Model, reported),
                Stream = state.Request.Stream,
                Outcome = a.Outcome,
                Winner = ReferenceEquals(a, state.Winner),
                Status = a.Status,
                Error = a.Error,
                ErrorMessage = a.ErrorMessage,
                LatencyMs = a.Latency.TotalMilliseconds,
                TtftMs = a.Ttft?.TotalMilliseconds,
                InputTokens = usage.Input,
                OutputTokens = usage.Output,
                CachedInputTokens = usage.CachedInput,
                CacheWriteTokens = usage.CacheWrite,
                ReasoningTokens = usage.Reasoning,
                TokensEstimated = estimated,
                CostUsd = cost,
                ClientStatus = clientStatus,
                ClientLatencyMs = clientLatency,
                ClientTtftMs = clientTtft,
                Attempts = state.Attempts.Count,
                Hedged = state.Hedged,
                Tier = a.Tier,
                Confidence = a.Confidence,
                RequestsLeft = limit.RequestsShare,
                TokensLeft = limit.TokensShare,
                RetryAfterMs = a.RetryAfter?.TotalMilliseconds,
                Gateway = _gateway,
            });
        }
        // Every attempt's cost counts against the key's budget, hedges and losers included.
        await admission.SettleAsync(state.Admission, totalTokens, totalCost).ConfigureAwait(false);
    }

    /// <summary>True when the upstream reported another model than the pinned one.</summary>
    public static bool IsDrift(string pinned, string? reported)
    {
        if (string.IsNullOrEmpty(reported))
        {
            return false;
        }
        var r = reported.StartsWith("models/", StringComparison.Ordinal) ? reported.AsSpan(7) : reported.AsSpan();
        return !r.Equals(pinned, StringComparison.OrdinalIgnoreCase);
    }
}
