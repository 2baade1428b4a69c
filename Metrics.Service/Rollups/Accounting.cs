using Switchboard.Contracts.Outcomes;

namespace Switchboard.Metrics.Rollups;

/// <summary>
/// What the numbers mean. A request is counted once, by the attempt that stands for it: the winner (the attempt
/// whose answer the client received) or, for a request no attempt answered, its last attempt (Attempt == Attempts).
/// "Requests" counts those; "errors" are those the client saw fail (ClientStatus 0 or >= 500: a 4xx is the client's
/// mistake, not the provider's); availability = 1 - errors / requests; latency and TTFT are the client's
/// (ClientLatencyMs, ClientTtftMs). Probes and canaries are not client traffic and are never counted, but what they
/// cost is. Cost is per attempt: hedge cost is what cancelled hedge losers cost, retry cost what failed attempts
/// cost, useful cost the rest.
/// </summary>
internal static class Accounting
{
    public static bool IsCounted(OutcomeEvent e) =>
        e.Kind is not (AttemptKind.Probe or AttemptKind.Canary)
        && (e.Winner || (!IsSuccessStatus(e.ClientStatus) && e.Attempt >= Math.Max(1, e.Attempts)));

    public static bool IsRequestError(int clientStatus) => clientStatus == 0 || clientStatus >= 500;

    public static bool IsAttemptFailure(AttemptOutcome outcome, ErrorClass? error) =>
        outcome == AttemptOutcome.Failure && error is not (ErrorClass.ClientError or ErrorClass.ClientCancelled);

    public static CostKind CostKindOf(AttemptOutcome outcome, bool winner, ErrorClass? error) => (outcome, winner) switch
    {
        (AttemptOutcome.Cancelled, false) when error != ErrorClass.ClientCancelled => CostKind.Hedge,
        (AttemptOutcome.Failure, false) => CostKind.Retry,
        _ => CostKind.Useful,
    };

    private static bool IsSuccessStatus(int status) => status is >= 200 and < 300;
}

internal enum CostKind
{
    Useful,
    Hedge,
    Retry,
}
