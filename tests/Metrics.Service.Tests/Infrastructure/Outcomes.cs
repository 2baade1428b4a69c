using Switchboard.Contracts.Outcomes;

namespace Switchboard.Metrics.Tests.Infrastructure;

/// <summary>Builds realistic outcome events: one request as its attempts, client fields repeated on each.</summary>
public static class Outcomes
{
    public static OutcomeEvent Attempt(string requestId, int attempt, DateTimeOffset startedAt, string provider = "openai",
        string model = "gpt-4o-2024-08-06", string route = "chat", string? key = "team-a", string? task = null,
        AttemptKind kind = AttemptKind.Primary, AttemptOutcome outcome = AttemptOutcome.Success, bool winner = true,
        int status = 200, ErrorClass? error = null, double latencyMs = 500, double? ttftMs = 120, decimal costUsd = 0.001m,
        int clientStatus = 200, double? clientLatencyMs = null, double? clientTtftMs = null, int attempts = 1, bool hedged = false) => new()
        {
            RequestId = requestId,
            Attempt = attempt,
            Kind = kind,
            StartedAt = startedAt,
            KeyName = key,
            Route = route,
            Task = task,
            Provider = provider,
            ProviderType = "openai",
            Model = model,
            ModelReported = model,
            Outcome = outcome,
            Winner = winner,
            Status = status,
            Error = error,
            LatencyMs = latencyMs,
            TtftMs = ttftMs,
            InputTokens = 100,
            OutputTokens = 40,
            CostUsd = costUsd,
            ClientStatus = clientStatus,
            ClientLatencyMs = clientLatencyMs ?? latencyMs,
            ClientTtftMs = clientTtftMs ?? ttftMs,
            Attempts = attempts,
            Hedged = hedged,
        };

    /// <summary>
    /// A random but reproducible mix: mostly single successful attempts, some retries after a 503, some hedges with a
    /// cancelled loser, some requests every attempt of which failed (client 502).
    /// </summary>
    public static List<OutcomeEvent> Mix(int requests, DateTimeOffset from, DateTimeOffset to, int seed, string prefix = "r")
    {
        var random = new Random(seed);
        string[] providers = ["openai", "anthropic", "gemini"];
        string[] routes = ["chat", "cheap"];
        string?[] keys = ["team-a", "team-b", null];
        var events = new List<OutcomeEvent>();
        var span = (to - from).Ticks;
        for (var i = 0; i < requests; i++)
        {
            var id = $"{prefix}-{seed}-{i}";
            var t = from.AddTicks((long)(random.NextDouble() * span));
            var p = providers[random.Next(providers.Length)];
            var other = providers[(Array.IndexOf(providers, p) + 1) % providers.Length];
            var route = routes[random.Next(routes.Length)];
            var key = keys[random.Next(keys.Length)];
            var latency = Math.Round(Math.Exp(5.5 + random.NextDouble() * 2.5), 3); // ~245 ms .. ~3 s
            var ttft = Math.Round(latency * (0.1 + random.NextDouble() * 0.3), 3);
            var cost = Math.Round((decimal)random.NextDouble() / 100m, 6);
            var roll = random.NextDouble();
            if (roll < 0.75)
            {
                events.Add(Attempt(id, 1, t, p, route: route, key: key, latencyMs: latency, ttftMs: ttft, costUsd: cost));
            }
            else if (roll < 0.85)
            {
                // Retry: 503 from the first provider, the second answers.
                events.Add(Attempt(id, 1, t, p, route: route, key: key, kind: AttemptKind.Primary, outcome: AttemptOutcome.Failure,
                    winner: false, status: 503, error: ErrorClass.ServerError, latencyMs: 80, ttftMs: null, costUsd: 0m,
                    clientLatencyMs: latency + 80, clientTtftMs: ttft + 80, attempts: 2));
                events.Add(Attempt(id, 2, t.AddMilliseconds(80), other, route: route, key: key, kind: AttemptKind.Retry,
                    latencyMs: latency, ttftMs: ttft, costUsd: cost, clientLatencyMs: latency + 80, clientTtftMs: ttft + 80, attempts: 2));
            }
            else if (roll < 0.95)
            {
                // Hedge: the hedge wins, the primary is cancelled but still cost something.
                events.Add(Attempt(id, 1, t, p, route: route, key: key, outcome: AttemptOutcome.Cancelled, winner: false, status: 200,
                    latencyMs: 2100, ttftMs: null, costUsd: cost / 2, clientLatencyMs: latency + 2000, clientTtftMs: ttft + 2000,
                    attempts: 2, hedged: true));
                events.Add(Attempt(id, 2, t.AddMilliseconds(2000), other, route: route, key: key, kind: AttemptKind.Hedge,
                    latencyMs: latency, ttftMs: ttft, costUsd: cost, clientLatencyMs: latency + 2000, clientTtftMs: ttft + 2000,
                    attempts: 2, hedged: true));
            }
            else
            {
                // Every attempt failed: the client got a 502.
                events.Add(Attempt(id, 1, t, p, route: route, key: key, outcome: AttemptOutcome.Failure, winner: false, status: 500,
                    error: ErrorClass.ServerError, latencyMs: 60, ttftMs: null, costUsd: 0m, clientStatus: 502,
                    clientLatencyMs: latency, clientTtftMs: null, attempts: 2));
                events.Add(Attempt(id, 2, t.AddMilliseconds(60), other, route: route, key: key, kind: AttemptKind.Retry,
                    outcome: AttemptOutcome.Failure, winner: false, status: 0, error: ErrorClass.Timeout, latencyMs: latency - 60,
                    ttftMs: null, costUsd: 0m, clientStatus: 502, clientLatencyMs: latency, clientTtftMs: null, attempts: 2));
            }
        }
        return events;
    }
}
