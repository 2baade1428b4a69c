using System.Text.Json.Nodes;

namespace Switchboard.Admin.Tests.Fakes;

/// <summary>
/// Deterministic answers in the documented shapes of Metrics.Service and Router.Worker (CONTRACT.md sections 6-8),
/// relative to a fixed "now". Three providers, two routes, a hedged and a retried request.
/// </summary>
public sealed class CannedData(DateTimeOffset now)
{
    public static readonly string[] Providers = ["anthropic", "gemini", "openai"];
    public static readonly Dictionary<string, string> Models = new()
    {
        ["openai"] = "gpt-4o-2024-08-06",
        ["anthropic"] = "claude-3-5-sonnet-20241022",
        ["gemini"] = "gemini-1.5-pro-002",
    };

    public DateTimeOffset Now { get; } = now;

    public const string InitialDocument = """
        {
          "providers": {
            "openai":    { "type": "openai",    "baseUrl": "http://127.0.0.1:9/openai/v1", "apiKey": "env:OPENAI_API_KEY" },
            "anthropic": { "type": "anthropic", "baseUrl": "http://127.0.0.1:9/anthropic", "apiKey": "env:ANTHROPIC_API_KEY" },
            "gemini":    { "type": "gemini",    "baseUrl": "http://127.0.0.1:9/gemini",    "apiKey": "env:GEMINI_API_KEY" }
          },
          "routes": {
            "chat": {
              "strategy": "priority",
              "targets": [
                { "provider": "openai",    "model": "gpt-4o-2024-08-06" },
                { "provider": "anthropic", "model": "claude-3-5-sonnet-20241022" }
              ],
              "firstTokenTimeoutMs": 2000,
              "maxAttempts": 3,
              "slo": { "availability": 0.999, "p95Ms": 8000, "ttftP95Ms": 2500 }
            },
            "cheap": {
              "strategy": "priority",
              "targets": [ { "provider": "gemini", "model": "gemini-1.5-pro-002" } ]
            }
          }
        }
        """;

    public JsonArray Sla(string groupBy) => groupBy switch
    {
        "route" => [SlaRow("chat", 2400, 3), SlaRow("cheap", 600, 0)],
        _ => new JsonArray(Providers.Select((p, i) => (JsonNode)SlaRow(p, 1000 + (100 * i), i)).ToArray()),
    };

    private static JsonObject SlaRow(string group, long requests, long errors) => new()
    {
        ["group"] = group,
        ["requests"] = requests,
        ["errors"] = errors,
        ["availability"] = 1.0 - ((double)errors / requests),
        ["latencyMs"] = new JsonObject { ["p50"] = 420.0, ["p95"] = 1250.0, ["p99"] = 2100.0 },
        ["ttftMs"] = new JsonObject { ["p50"] = 180.0, ["p95"] = 640.0, ["p99"] = 910.0 },
        ["costUsd"] = 1.2345m,
    };

    public static JsonArray Slo() =>
    [
        new JsonObject
        {
            ["route"] = "chat",
            ["objective"] = new JsonObject { ["availability"] = 0.999, ["p95Ms"] = 8000.0, ["ttftP95Ms"] = 2500.0 },
            ["availability"] = 0.99875, ["p95Ms"] = 1250.0, ["ttftP95Ms"] = 640.0,
            ["compliant"] = false, ["errorBudgetRemaining"] = -0.25, ["burnRate1h"] = 2.5, ["burnRate6h"] = 1.25,
        },
    ];

    /// <summary><c>GET /api/slo/alerts</c>: a fast burn on chat still open, and an older one on cheap that cleared.</summary>
    public JsonArray SloAlerts() =>
    [
        new JsonObject
        {
            ["route"] = "chat", ["raisedAt"] = Now.AddMinutes(-7).ToString("O"), ["burnRate1h"] = 16.5, ["burnRate6h"] = 7.2,
            ["errorBudgetRemaining"] = -0.25, ["clearedAt"] = null,
        },
        new JsonObject
        {
            ["route"] = "cheap", ["raisedAt"] = Now.AddHours(-3).ToString("O"), ["burnRate1h"] = 15.0, ["burnRate6h"] = 6.5,
            ["errorBudgetRemaining"] = 0.4, ["clearedAt"] = Now.AddHours(-2).ToString("O"),
        },
    ];

    /// <summary>
    /// <c>GET /api/cascade</c>: one route, the cheap tier with its canary quality, the expensive tier not measured yet.
    /// </summary>
    public JsonArray Cascade() =>
    [
        JsonNode.Parse($$$"""
            {"route":"cheap","requests":600,"answered":596,"errors":4,"escalated":110,"escalatedShare":0.1833,
             "tiers":[
               {"tier":0,"models":["{{{Models["gemini"]}}}"],"answered":490,"share":0.8221,"attempts":600,"costUsd":0.0421,"avgConfidence":0.912,
                "deployments":[{"provider":"gemini","model":"{{{Models["gemini"]}}}","attempts":600,"qualityScore":0.86,"canaryRuns":50,"canaryPassed":43}],
                "quality":{"score":0.86,"canaryRuns":50,"canaryPassed":43,"at":"{{{Now.AddSeconds(-4):O}}}"}},
               {"tier":1,"models":["{{{Models["openai"]}}}"],"answered":106,"share":0.1779,"attempts":112,"costUsd":0.412,"avgConfidence":null,
                "deployments":[{"provider":"openai","model":"{{{Models["openai"]}}}","attempts":112,"qualityScore":null,"canaryRuns":null,"canaryPassed":null}],
                "quality":null}],
             "costUsd":0.4541,"lastTierCostUsd":2.1,"costSavedUsd":1.6459,"savedShare":0.7838,
             "lastTier":{"tier":1,"model":"{{{Models["openai"]}}}","inputPerMTok":2.5,"outputPerMTok":10,"source":"routing-document"}}
            """)!,
    ];

    public static JsonArray Cost(string groupBy) => groupBy switch
    {
        "key" => [CostRow("team-a", 0.5m, 120), CostRow("ci-test", 0m, 0)],
        "route" => [CostRow("chat", 2.0m, 2400), CostRow("cheap", 0.1m, 600)],
        "model" => new JsonArray(Models.Values.Select((m, i) => (JsonNode)CostRow(m, 1m + i, 100)).ToArray()),
        _ => new JsonArray(Providers.Select((p, i) => (JsonNode)CostRow(p, 0.75m + i, 1000)).ToArray()),
    };

    private static JsonObject CostRow(string group, decimal cost, long requests) => new()
    {
        ["group"] = group,
        ["costUsd"] = cost,
        ["usefulCostUsd"] = cost * 0.8m,
        ["hedgeCostUsd"] = cost * 0.15m,
        ["retryCostUsd"] = cost * 0.05m,
        ["requests"] = requests,
    };

    /// <summary>One series per provider, one point per minute over the window (at most 60).</summary>
    public static JsonArray TimeSeries(DateTimeOffset from, DateTimeOffset to)
    {
        var step = TimeSpan.FromTicks(Math.Max(TimeSpan.FromMinutes(1).Ticks, (to - from).Ticks / 60));
        return new JsonArray(Providers.Select((p, i) =>
        {
            var points = new JsonArray();
            var n = 0;
            for (var t = from; t < to; t += step, n++)
            {
                points.Add(new JsonObject
                {
                    ["t"] = t.ToString("O"),
                    ["requests"] = 20 + (i * 5) + (n % 7),
                    ["errors"] = (n + i) % 9 == 0 ? 1 : 0,
                    ["p50"] = 300.0 + (i * 50),
                    ["p95"] = 900.0 + (i * 120) + (n % 5 * 10),
                    ["p99"] = 1500.0 + (i * 150),
                    ["ttftP95"] = 500.0 + (i * 80),
                    ["costUsd"] = 0.01m * (i + 1),
                });
            }
            return (JsonNode)new JsonObject { ["group"] = p, ["points"] = points };
        }).ToArray());
    }

    /// <summary>The attempts in the log: a hedged request, a retried one, and plain ones on each provider.</summary>
    public List<JsonObject> Attempts()
    {
        var t0 = Now.AddMinutes(-3);
        var list = new List<JsonObject>
        {
            Attempt("req-hedged-001", 1, t0, "openai", "Primary", "Cancelled", winner: false, status: 200, latency: 2000, ttft: null, clientLatency: 2900),
            Attempt("req-hedged-001", 2, t0.AddMilliseconds(2000), "anthropic", "Hedge", "Success", winner: true, status: 200, latency: 900, ttft: 350, clientLatency: 2900),
            Attempt("req-retry-002", 1, t0.AddSeconds(10), "gemini", "Primary", "Failure", winner: false, status: 503, latency: 120, ttft: null, clientLatency: 1300, error: "ServerError"),
            Attempt("req-retry-002", 2, t0.AddSeconds(10.2), "openai", "Retry", "Success", winner: true, status: 200, latency: 1100, ttft: 300, clientLatency: 1300),
        };
        for (var i = 0; i < Providers.Length; i++)
        {
            list.Add(Attempt($"req-plain-{i:000}", 1, t0.AddSeconds(20 + i), Providers[i], "Primary", "Success", winner: true, status: 200, latency: 800, ttft: 250, clientLatency: 820));
        }
        return list;
    }

    private static JsonObject Attempt(string id, int attempt, DateTimeOffset at, string provider, string kind, string outcome, bool winner,
        int status, double latency, double? ttft, double clientLatency, string? error = null) => new()
    {
        ["requestId"] = id,
        ["attempt"] = attempt,
        ["startedAt"] = at.ToString("O"),
        ["keyName"] = "team-a",
        ["route"] = provider == "gemini" && kind == "Primary" && id.StartsWith("req-plain", StringComparison.Ordinal) ? "cheap" : "chat",
        ["task"] = null,
        ["provider"] = provider,
        ["model"] = Models[provider],
        ["modelReported"] = Models[provider],
        ["drift"] = false,
        ["kind"] = kind,
        ["outcome"] = outcome,
        ["winner"] = winner,
        ["status"] = status,
        ["error"] = error,
        ["latencyMs"] = latency,
        ["ttftMs"] = ttft,
        ["inputTokens"] = 42,
        ["outputTokens"] = 128,
        ["costUsd"] = 0.0021m,
        ["clientStatus"] = 200,
        ["clientLatencyMs"] = clientLatency,
    };

    public JsonArray Health(IReadOnlyDictionary<string, string> states) => new(Providers.Select(p => (JsonNode)new JsonObject
    {
        ["provider"] = p,
        ["model"] = Models[p],
        ["state"] = states.GetValueOrDefault(p, "healthy"),
        ["circuit"] = states.GetValueOrDefault(p, "healthy") == "down" ? "open" : "closed",
        ["requestsPerMin"] = 42.5,
        ["errorRate"] = 0.012,
        ["ttftMs"] = new JsonObject { ["p50"] = 200.0, ["p95"] = 640.0, ["p99"] = 900.0 },
        ["latencyMs"] = new JsonObject { ["p50"] = 420.0, ["p95"] = 1250.0, ["p99"] = 2100.0 },
        ["rateLimitHeadroom"] = p == "openai" ? new JsonObject { ["requests"] = 0.82, ["tokens"] = 0.64 } : null,
        ["credentialInvalid"] = false,
        ["qualityScore"] = 0.97,
        ["demoted"] = false,
        ["drift"] = p == "gemini",
        ["updatedAt"] = Now.ToString("O"),
    }).ToArray());

    /// <summary><c>GET /api/quality</c> as Router.Worker answers it: the leader's scores now and the stored history.</summary>
    public JsonObject Quality() => new()
    {
        ["current"] = new JsonArray(Providers.Select((p, i) => (JsonNode)Score(p, Now, 0.95 - (i * 0.05))).ToArray()),
        ["history"] = new JsonArray(Providers.SelectMany((p, i) => Enumerable.Range(0, 12).Select(k =>
            (JsonNode)Score(p, Now.AddMinutes(-5 * (12 - k)), 0.9 + (k % 3 * 0.03) - (i * 0.05)))).ToArray()),
    };

    private JsonObject Score(string provider, DateTimeOffset at, double score) => new()
    {
        ["provider"] = provider,
        ["model"] = Models[provider],
        ["at"] = at.ToString("O"),
        ["score"] = score,
        ["canaryRuns"] = 10,
        ["canaryPassed"] = 9,
        ["sampled"] = 20,
        ["structureFailures"] = 1,
        ["truncatedRate"] = 0.0,
        ["driftModel"] = provider == "gemini" ? "gemini-1.5-pro-latest" : null,
    };
}
