using Switchboard.Contracts.Routing;
using Switchboard.Gateway.Accounting;
using Switchboard.Gateway.Providers;

namespace Switchboard.Gateway.Tests.Accounting;

public sealed class PriceTableTests
{
    [Fact]
    public void Cost_prices_cached_and_cache_write_tokens_apart()
    {
        // claude-3-5-sonnet: 3 in, 15 out, 0.3 cache read, 3.75 cache write per million.
        var cost = PriceTable.Default.Cost("claude-3-5-sonnet-20241022", new TokenUsage(Input: 1_000_000, Output: 100_000, CachedInput: 400_000, CacheWrite: 100_000));
        Assert.Equal((500_000 * 3m + 400_000 * 0.3m + 100_000 * 3.75m + 100_000 * 15m) / 1_000_000m, cost);
    }

    [Fact]
    public void Reasoning_tokens_use_their_own_price_where_it_differs()
    {
        var cost = PriceTable.Default.Cost("gemini-2.5-flash-preview-04-17", new TokenUsage(0, 1_000_000, Reasoning: 600_000));
        Assert.Equal(400_000 * 0.6m / 1_000_000m + 600_000 * 3.5m / 1_000_000m, cost);
    }

    [Fact]
    public void The_document_overrides_a_built_in_price_and_unknown_models_cost_nothing()
    {
        var table = new PriceTable(new Dictionary<string, ModelPrice> { ["gpt-4o-2024-08-06"] = new() { InputPerMTok = 1, OutputPerMTok = 2 } });
        Assert.Equal(3m, table.Cost("gpt-4o-2024-08-06", new TokenUsage(1_000_000, 1_000_000)));
        Assert.Equal(0m, table.Cost("mystery-model-001", new TokenUsage(1000, 1000)));
    }

    [Fact]
    public void Every_provider_type_has_built_in_prices()
    {
        foreach (var model in new[] { "gpt-4o-2024-08-06", "claude-3-5-sonnet-20241022", "gemini-1.5-pro-002", "deepseek-chat", "qwen2.5-7b-instruct", "mistral-small-2409" })
        {
            Assert.NotNull(PriceTable.Default.Find(model));
        }
    }

    [Fact]
    public void The_tokenizer_counts_prompts_offline()
    {
        var estimator = new TokenEstimator();
        var bytes = """{"model":"x","messages":[{"role":"user","content":"Hello there, how are you today?"}]}"""u8.ToArray();
        using var request = new ChatRequest(bytes, System.Text.Json.JsonDocument.Parse(bytes));
        var n = estimator.CountPrompt(request);
        Assert.InRange(n, 10, 20);
    }
}
