using System.Text.Json.Serialization;

namespace Switchboard.Contracts.Routing;

/// <summary>
/// The routing document (<c>gateway.json</c>, CONTRACT.md section 3): providers, routes, tasks, gateway keys
/// and price overrides. Immutable by convention; a change produces a new instance that is swapped in whole.
/// Members with a default use <c>set</c>, not <c>init</c>: the System.Text.Json source generator assigns every
/// init-only member in its object initializer, so a field absent from the JSON became null or 0 (no tasks
/// dictionary, maxAttempts 0, probeIntervalSeconds 0) instead of keeping its default.
/// </summary>
public sealed record RoutingDocument
{
    /// <summary>Upstream providers by name.</summary>
    public IReadOnlyDictionary<string, ProviderConfig> Providers { get; set; } = new Dictionary<string, ProviderConfig>();
    /// <summary>Routes by name (the model names clients send).</summary>
    public IReadOnlyDictionary<string, RouteConfig> Routes { get; set; } = new Dictionary<string, RouteConfig>();
    /// <summary>Per-task policies picked by <c>x-switchboard-task</c>.</summary>
    public IReadOnlyDictionary<string, TaskConfig> Tasks { get; set; } = new Dictionary<string, TaskConfig>();
    /// <summary>Gateway keys; null or absent means no key is required (local use).</summary>
    public IReadOnlyList<GatewayKeyConfig>? Keys { get; init; }
    /// <summary>Price overrides per upstream model.</summary>
    public IReadOnlyDictionary<string, ModelPrice> Prices { get; set; } = new Dictionary<string, ModelPrice>();
    /// <summary>Active probes and quality canaries run by Router.Worker.</summary>
    public MonitoringConfig? Monitoring { get; init; }
}

/// <summary>One upstream provider.</summary>
public sealed record ProviderConfig
{
    /// <summary>openai, anthropic or gemini.</summary>
    public required string Type { get; init; }
    /// <summary>Base URL, e.g. https://api.openai.com/v1.</summary>
    public required string BaseUrl { get; init; }
    /// <summary>A literal key, <c>env:NAME</c>, <c>file:/path</c> or <c>secret:NAME</c> (the configured secret store).</summary>
    public string? ApiKey { get; init; }
    /// <summary>Several keys for rotation with overlap and for spreading load; same forms as <see cref="ApiKey"/>.</summary>
    public IReadOnlyList<string>? ApiKeys { get; init; }
    /// <summary>Configured request limit per minute (0 or absent: learn from headers only).</summary>
    public int? RequestsPerMinute { get; init; }
    /// <summary>Configured token limit per minute.</summary>
    public int? TokensPerMinute { get; init; }
    /// <summary>Maximum concurrent requests to this provider.</summary>
    public int? MaxConcurrency { get; init; }
    /// <summary>Extra headers sent on every upstream request (e.g. an organisation id).</summary>
    public IReadOnlyDictionary<string, string>? Headers { get; init; }
    /// <summary>Anthropic API version header value.</summary>
    public string? ApiVersion { get; init; }
}

/// <summary>A route: an ordered or weighted set of targets and the attempt policy.</summary>
public sealed record RouteConfig
{
    /// <summary>priority (default), weighted, lowest-latency, lowest-cost or cascade.</summary>
    public string Strategy { get; set; } = RouteStrategies.Priority;
    /// <summary>Targets (tiers, cheapest first, for cascade).</summary>
    public IReadOnlyList<TargetConfig> Targets { get; set; } = [];
    /// <summary>Hedge onto the next target when no first token arrived by then.</summary>
    public int? FirstTokenTimeoutMs { get; init; }
    /// <summary>Timeout of one attempt.</summary>
    public int AttemptTimeoutMs { get; set; } = 30_000;
    /// <summary>Deadline of the whole request across every attempt (default: attempt timeout x max attempts).</summary>
    public int? RequestTimeoutMs { get; init; }
    /// <summary>Attempts in all, hedges included.</summary>
    public int MaxAttempts { get; set; } = 3;
    /// <summary>max_tokens sent to providers that require one when the client gave none.</summary>
    public int? DefaultMaxTokens { get; init; }
    /// <summary>Skip targets whose estimated cost is over this.</summary>
    public decimal? MaxCostUsd { get; init; }
    /// <summary>Service level objective of this route.</summary>
    public SloConfig? Slo { get; init; }
    /// <summary>Cascade: the score an answer needs to be returned.</summary>
    public double? MinConfidence { get; init; }
    /// <summary>Cascade: logprobs, schema, judge or agreement.</summary>
    public string? Scorer { get; init; }
    /// <summary>Cascade: the labels a classification may answer.</summary>
    public IReadOnlyList<string>? AllowedAnswers { get; init; }
    /// <summary>Cascade with the judge scorer: the route that verifies answers.</summary>
    public string? JudgeRoute { get; init; }
    /// <summary>Cascade: false sends streams straight to the last tier.</summary>
    public bool CascadeStreaming { get; set; } = true;
}

/// <summary>One target of a route: a provider and a pinned model.</summary>
public sealed record TargetConfig
{
    /// <summary>Provider name.</summary>
    public required string Provider { get; init; }
    /// <summary>Pinned upstream model.</summary>
    public required string Model { get; init; }
    /// <summary>Weight for the weighted strategy.</summary>
    public double Weight { get; set; } = 1;
    /// <summary>Accept a floating model alias (no date or version suffix).</summary>
    public bool AllowFloating { get; init; }
}

/// <summary>Per-task policy.</summary>
public sealed record TaskConfig
{
    /// <summary>The route the task uses.</summary>
    public required string Route { get; init; }
    /// <summary>Skip targets whose estimated cost is over this.</summary>
    public decimal? MaxCostUsd { get; init; }
    /// <summary>Cascade scorer override.</summary>
    public string? Scorer { get; init; }
    /// <summary>Cascade threshold override.</summary>
    public double? MinConfidence { get; init; }
    /// <summary>Cascade labels override.</summary>
    public IReadOnlyList<string>? AllowedAnswers { get; init; }
}

/// <summary>A gateway key as written in the routing document.</summary>
public sealed record GatewayKeyConfig
{
    /// <summary>Display name (recorded on outcomes; never the key).</summary>
    public required string Name { get; init; }
    /// <summary>The key: literal or <c>env:NAME</c>; or <see cref="KeyHash"/> instead.</summary>
    public string? Key { get; init; }
    /// <summary>Salted hash (as issued by Router.Worker's key API) instead of the key itself.</summary>
    public string? KeyHash { get; init; }
    /// <summary>Allowed model patterns: route names, <c>provider/*</c>, <c>*</c>. Absent: all.</summary>
    public IReadOnlyList<string>? Models { get; init; }
    /// <summary>Requests per minute.</summary>
    public int? RequestsPerMinute { get; init; }
    /// <summary>Tokens per minute.</summary>
    public int? TokensPerMinute { get; init; }
    /// <summary>Total spend allowed, USD.</summary>
    public decimal? BudgetUsd { get; init; }
}

/// <summary>Price of an upstream model per million tokens, USD.</summary>
public sealed record ModelPrice
{
    /// <summary>Uncached input.</summary>
    public decimal InputPerMTok { get; init; }
    /// <summary>Output (and reasoning unless priced apart).</summary>
    public decimal OutputPerMTok { get; init; }
    /// <summary>Cached input read.</summary>
    public decimal? CachedInputPerMTok { get; init; }
    /// <summary>Cache write (Anthropic).</summary>
    public decimal? CacheWritePerMTok { get; init; }
    /// <summary>Reasoning output, where priced apart.</summary>
    public decimal? ReasoningPerMTok { get; init; }
}

/// <summary>Route SLO.</summary>
public sealed record SloConfig
{
    /// <summary>Target availability, e.g. 0.999.</summary>
    public double? Availability { get; init; }
    /// <summary>Target p95 client latency, ms.</summary>
    public double? P95Ms { get; init; }
    /// <summary>Target p95 time to first token, ms.</summary>
    public double? TtftP95Ms { get; init; }
}

/// <summary>Router.Worker's active probes and quality canaries.</summary>
public sealed record MonitoringConfig
{
    /// <summary>Seconds between probes of each deployment; 0 disables.</summary>
    public int ProbeIntervalSeconds { get; set; } = 30;
    /// <summary>Prompt of the probe request.</summary>
    public string ProbePrompt { get; set; } = "Reply with OK.";
    /// <summary>Seconds between canary runs; 0 disables.</summary>
    public int CanaryIntervalSeconds { get; set; } = 300;
    /// <summary>Share of production answers checked for structure (0..1).</summary>
    public double SampleRate { get; set; } = 0.05;
    /// <summary>Quality score under which an alert is raised.</summary>
    public double AlertBelowScore { get; set; } = 0.8;
    /// <summary>Demote the deployment in routing when its quality alert fires.</summary>
    public bool DemoteOnAlert { get; init; }
    /// <summary>Optional webhook called with each alert.</summary>
    public string? WebhookUrl { get; init; }
    /// <summary>Canary prompts with expected outputs.</summary>
    public IReadOnlyList<CanaryConfig> Canaries { get; set; } = [];
}

/// <summary>A canary prompt and how to check its answer.</summary>
public sealed record CanaryConfig
{
    /// <summary>Name shown in alerts.</summary>
    public required string Name { get; init; }
    /// <summary>User prompt.</summary>
    public required string Prompt { get; init; }
    /// <summary>exact, contains, regex or json-schema.</summary>
    public string Match { get; set; } = "contains";
    /// <summary>Expected text, pattern or schema.</summary>
    public required string Expected { get; init; }
    /// <summary>Deployments to run it on as provider/model; absent: every deployment.</summary>
    public IReadOnlyList<string>? Deployments { get; init; }
}

/// <summary>Route strategy names.</summary>
public static class RouteStrategies
{
    /// <summary>Targets in order.</summary>
    public const string Priority = "priority";
    /// <summary>Random by weight.</summary>
    public const string Weighted = "weighted";
    /// <summary>Lowest measured p95 TTFT first.</summary>
    public const string LowestLatency = "lowest-latency";
    /// <summary>Lowest estimated cost first.</summary>
    public const string LowestCost = "lowest-cost";
    /// <summary>Cheapest tier first, escalate on low confidence.</summary>
    public const string Cascade = "cascade";

    /// <summary>All strategy names.</summary>
    public static readonly IReadOnlyList<string> All = [Priority, Weighted, LowestLatency, LowestCost, Cascade];
}

/// <summary>Provider type names.</summary>
public static class ProviderTypes
{
    /// <summary>Any OpenAI-compatible API.</summary>
    public const string OpenAI = "openai";
    /// <summary>Anthropic Messages API.</summary>
    public const string Anthropic = "anthropic";
    /// <summary>Gemini generateContent.</summary>
    public const string Gemini = "gemini";

    /// <summary>All type names.</summary>
    public static readonly IReadOnlyList<string> All = [OpenAI, Anthropic, Gemini];
}

/// <summary>Source-generated JSON for the routing document: camelCase, unknown fields are errors.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    PropertyNameCaseInsensitive = false,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    ReadCommentHandling = System.Text.Json.JsonCommentHandling.Skip,
    AllowTrailingCommas = true,
    WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(RoutingDocument))]
public sealed partial class RoutingDocumentJson : JsonSerializerContext;
