using System.Text.Json;
using Switchboard.Gateway.Providers;

namespace Switchboard.Gateway.Accounting;

/// <summary>
/// The most a request can cost on a given model before it runs: its prompt counted with o200k_base plus 20%
/// (providers' own tokenizers count more than o200k for some text) and its output cap (<c>max_completion_tokens</c>,
/// <c>max_tokens</c>, else the route's default), at the model's price. Used for budget reservations,
/// <c>maxCostUsd</c> and the lowest-cost strategy.
/// </summary>
internal readonly record struct CostEstimate(int InputTokens, int MaxOutputTokens)
{
    public static CostEstimate For(ChatRequest request, TokenEstimator tokens, int defaultMaxTokens)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(tokens);
        var counted = tokens.CountPrompt(request);
        return new((int)Math.Ceiling(counted * 1.2) + 8, MaxOutput(request.Root) ?? defaultMaxTokens);
    }

    /// <summary>USD at <paramref name="model"/>'s price; 0 when the model has no price (nothing to protect).</summary>
    public decimal CostOn(PriceTable prices, string model)
    {
        ArgumentNullException.ThrowIfNull(prices);
        return prices.Find(model) is { } p ? ((InputTokens * p.InputPerMTok) + (MaxOutputTokens * p.OutputPerMTok)) / 1_000_000m : 0m;
    }

    private static int? MaxOutput(JsonElement root)
    {
        foreach (var name in (ReadOnlySpan<string>)["max_completion_tokens", "max_tokens"])
        {
            if (root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n) && n > 0)
            {
                return n;
            }
        }
        return null;
    }
}
