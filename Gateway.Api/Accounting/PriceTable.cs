using System.Collections.Frozen;
using Switchboard.Contracts.Routing;
using Switchboard.Gateway.Providers;

namespace Switchboard.Gateway.Accounting;

/// <summary>
/// USD per million tokens for the common pinned models of each provider, with cache and reasoning prices where
/// they differ. The routing document's <c>prices</c> override entries one model at a time.
/// </summary>
internal sealed class PriceTable
{
    private static ModelPrice P(decimal input, decimal output, decimal? cached = null, decimal? cacheWrite = null, decimal? reasoning = null) =>
        new() { InputPerMTok = input, OutputPerMTok = output, CachedInputPerMTok = cached, CacheWritePerMTok = cacheWrite, ReasoningPerMTok = reasoning };

    /// <summary>Built-in prices (public list prices at the time of writing).</summary>
    public static readonly FrozenDictionary<string, ModelPrice> BuiltIn = new Dictionary<string, ModelPrice>(StringComparer.Ordinal)
    {
        // OpenAI
        ["gpt-4o-2024-05-13"] = P(5m, 15m),
        ["gpt-4o-2024-08-06"] = P(2.5m, 10m, 1.25m),
        ["gpt-4o-2024-11-20"] = P(2.5m, 10m, 1.25m),
        ["gpt-4o-mini-2024-07-18"] = P(0.15m, 0.6m, 0.075m),
        ["gpt-4.1-2025-04-14"] = P(2m, 8m, 0.5m),
        ["gpt-4.1-mini-2025-04-14"] = P(0.4m, 1.6m, 0.1m),
        ["gpt-4.1-nano-2025-04-14"] = P(0.1m, 0.4m, 0.025m),
        ["o1-2024-12-17"] = P(15m, 60m, 7.5m),
        ["o3-mini-2025-01-31"] = P(1.1m, 4.4m, 0.55m),
        ["o3-2025-04-16"] = P(2m, 8m, 0.5m),
        ["o4-mini-2025-04-16"] = P(1.1m, 4.4m, 0.275m),
        // Anthropic (cache write at 1.25x input, cache read at 0.1x)
        ["claude-3-haiku-20240307"] = P(0.25m, 1.25m, 0.03m, 0.3m),
        ["claude-3-opus-20240229"] = P(15m, 75m, 1.5m, 18.75m),
        ["claude-3-5-haiku-20241022"] = P(0.8m, 4m, 0.08m, 1m),
        ["claude-3-5-sonnet-20240620"] = P(3m, 15m, 0.3m, 3.75m),
        ["claude-3-5-sonnet-20241022"] = P(3m, 15m, 0.3m, 3.75m),
        ["claude-3-7-sonnet-20250219"] = P(3m, 15m, 0.3m, 3.75m),
        ["claude-sonnet-4-20250514"] = P(3m, 15m, 0.3m, 3.75m),
        ["claude-opus-4-20250514"] = P(15m, 75m, 1.5m, 18.75m),
        // Gemini
        ["gemini-1.5-pro-002"] = P(1.25m, 5m, 0.3125m),
        ["gemini-1.5-flash-002"] = P(0.075m, 0.3m, 0.01875m),
        ["gemini-2.0-flash-001"] = P(0.1m, 0.4m, 0.025m),
        ["gemini-2.0-flash-lite-001"] = P(0.075m, 0.3m),
        ["gemini-2.5-flash-preview-04-17"] = P(0.15m, 0.6m, 0.0375m, reasoning: 3.5m),
        ["gemini-2.5-pro-preview-05-06"] = P(1.25m, 10m, 0.31m),
        // DeepSeek
        ["deepseek-chat"] = P(0.27m, 1.1m, 0.07m),
        ["deepseek-reasoner"] = P(0.55m, 2.19m, 0.14m),
        // Qwen (Alibaba Cloud international)
        ["qwen2.5-7b-instruct"] = P(0.175m, 0.7m),
        ["qwen2.5-72b-instruct"] = P(1.4m, 5.6m),
        ["qwen-plus-2025-01-25"] = P(0.4m, 1.2m),
        ["qwen-max-2025-01-25"] = P(1.6m, 6.4m),
        // Mistral
        ["mistral-small-2409"] = P(0.2m, 0.6m),
        ["mistral-small-2501"] = P(0.1m, 0.3m),
        ["mistral-large-2411"] = P(2m, 6m),
        ["open-mistral-nemo-2407"] = P(0.15m, 0.15m),
        // Groq
        ["llama-3.1-8b-instant"] = P(0.05m, 0.08m),
        ["llama-3.3-70b-versatile"] = P(0.59m, 0.79m),
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private readonly IReadOnlyDictionary<string, ModelPrice> _overrides;

    public PriceTable(IReadOnlyDictionary<string, ModelPrice> overrides) => _overrides = overrides;

    public static PriceTable Default { get; } = new(new Dictionary<string, ModelPrice>());

    public ModelPrice? Find(string model)
    {
        if (_overrides.TryGetValue(model, out var p) || BuiltIn.TryGetValue(model, out p))
        {
            return p;
        }
        return null;
    }

    /// <summary>Cost of an attempt in USD (0 for a model without a price).</summary>
    public decimal Cost(string model, TokenUsage usage)
    {
        ArgumentNullException.ThrowIfNull(usage);
        if (Find(model) is not { } price)
        {
            return 0m;
        }
        var uncached = Math.Max(0, usage.Input - usage.CachedInput - usage.CacheWrite);
        var visibleOutput = Math.Max(0, usage.Output - usage.Reasoning);
        var micro = uncached * price.InputPerMTok
            + usage.CachedInput * (price.CachedInputPerMTok ?? price.InputPerMTok)
            + usage.CacheWrite * (price.CacheWritePerMTok ?? price.InputPerMTok)
            + visibleOutput * price.OutputPerMTok
            + usage.Reasoning * (price.ReasoningPerMTok ?? price.OutputPerMTok);
        return decimal.Round(micro / 1_000_000m, 8);
    }
}
