using Switchboard.Contracts.Outcomes;

namespace Switchboard.Metrics.Bench;

/// <summary>
/// Realistic outcome traffic: 6 deployments, 3 routes, 4 keys, 3 tasks; 83% single attempts, 10% a retry after a 503,
/// 5% a hedge with a cancelled loser, 2% every attempt failed. Latencies log-normal-ish from ~150 ms to ~8 s.
/// </summary>
internal sealed class EventGenerator(int seed)
{
    private static readonly (string Provider, string Model)[] Deployments =
    [
        ("openai", "gpt-4o-2024-08-06"), ("anthropic", "claude-3-5-sonnet-20241022"), ("gemini", "gemini-1.5-pro-002"),
        ("deepseek", "deepseek-chat-v3"), ("qwen", "qwen-max-2025-01-25"), ("mistral", "mistral-large-2411"),
    ];
    private static readonly string[] Routes = ["chat", "cheap", "code"];
    private static readonly string?[] Keys = ["team-a", "team-b", "batch", null];
    private static readonly string?[] Tasks = ["classification", "summarise", null];

    private readonly Random _random = new(seed);
    private long _next;

    /// <summary>The events of one request started at <paramref name="t"/> (1 or 2 attempts).</summary>
    public void Request(DateTimeOffset t, List<OutcomeEvent> into)
    {
        var id = $"bench-{seed}-{_next++}";
        var (provider, model) = Deployments[_random.Next(Deployments.Length)];
        var (other, otherModel) = Deployments[_random.Next(Deployments.Length)];
        var route = Routes[_random.Next(Routes.Length)];
        var key = Keys[_random.Next(Keys.Length)];
        var task = Tasks[_random.Next(Tasks.Length)];
        var latency = Math.Round(Math.Exp(5 + (_random.NextDouble() * 4)), 2);
        var ttft = Math.Round(latency * (0.05 + (_random.NextDouble() * 0.3)), 2);
        var cost = Math.Round((decimal)_random.NextDouble() / 200m, 6);
        var roll = _random.NextDouble();
        OutcomeEvent Make(int attempt, string p, string m, AttemptKind kind, AttemptOutcome outcome, bool winner, int status,
            ErrorClass? error, decimal c, int clientStatus, double clientLatency, double? clientTtft, int attempts, bool hedged) => new()
        {
            RequestId = id, Attempt = attempt, Kind = kind, StartedAt = t, KeyName = key, Route = route, Task = task,
            Provider = p, ProviderType = "openai", Model = m, ModelReported = m, Outcome = outcome, Winner = winner,
            Status = status, Error = error, LatencyMs = clientLatency, TtftMs = clientTtft, InputTokens = 420, OutputTokens = 180,
            CostUsd = c, ClientStatus = clientStatus, ClientLatencyMs = clientLatency, ClientTtftMs = clientTtft,
            Attempts = attempts, Hedged = hedged, Stream = true, Gateway = "bench",
        };
        if (roll < 0.83)
        {
            into.Add(Make(1, provider, model, AttemptKind.Primary, AttemptOutcome.Success, true, 200, null, cost, 200, latency, ttft, 1, false));
        }
        else if (roll < 0.93)
        {
            into.Add(Make(1, provider, model, AttemptKind.Primary, AttemptOutcome.Failure, false, 503, ErrorClass.ServerError, 0, 200, latency + 90, ttft + 90, 2, false));
            into.Add(Make(2, other, otherModel, AttemptKind.Retry, AttemptOutcome.Success, true, 200, null, cost, 200, latency + 90, ttft + 90, 2, false));
        }
        else if (roll < 0.98)
        {
            into.Add(Make(1, provider, model, AttemptKind.Primary, AttemptOutcome.Cancelled, false, 200, null, cost / 3, 200, latency + 1500, ttft + 1500, 2, true));
            into.Add(Make(2, other, otherModel, AttemptKind.Hedge, AttemptOutcome.Success, true, 200, null, cost, 200, latency + 1500, ttft + 1500, 2, true));
        }
        else
        {
            into.Add(Make(1, provider, model, AttemptKind.Primary, AttemptOutcome.Failure, false, 500, ErrorClass.ServerError, 0, 502, latency, null, 2, false));
            into.Add(Make(2, other, otherModel, AttemptKind.Retry, AttemptOutcome.Failure, false, 0, ErrorClass.Timeout, 0, 502, latency, null, 2, false));
        }
    }
}
