namespace Switchboard.Simulator.Profiles;

// Profiles every simulator starts with. Latencies are plausible public figures for short chat answers; DeepSeek
// carries the heavy tail providers show at peak hours (p99 near 10 s).
internal static class ShippedProfiles
{
    public static IReadOnlyDictionary<string, ProviderProfile> All { get; } = new Dictionary<string, ProviderProfile>(StringComparer.Ordinal)
    {
        ["openai"] = new()
        {
            Type = ProviderTypes.OpenAi, TtftMs = new(350, 1500), TokensPerSecond = 80, RequestsPerMinute = 0,
            Models = ["gpt-4o-2024-08-06", "gpt-4o-mini-2024-07-18", "gpt-4.1-2025-04-14", "gpt-4.1-mini-2025-04-14"],
        },
        ["anthropic"] = new()
        {
            Type = ProviderTypes.Anthropic, TtftMs = new(600, 2500), TokensPerSecond = 60,
            Models = ["claude-3-5-sonnet-20241022", "claude-3-5-haiku-20241022", "claude-sonnet-4-20250514"],
        },
        ["gemini"] = new()
        {
            Type = ProviderTypes.Gemini, TtftMs = new(450, 2000), TokensPerSecond = 120,
            Models = ["gemini-1.5-pro-002", "gemini-1.5-flash-002", "gemini-2.0-flash"],
        },
        ["deepseek"] = new()
        {
            Type = ProviderTypes.OpenAi, TtftMs = new(900, 10_000), TokensPerSecond = 30,
            Models = ["deepseek-chat", "deepseek-reasoner"],
        },
        ["qwen"] = new()
        {
            Type = ProviderTypes.OpenAi, TtftMs = new(500, 2500), TokensPerSecond = 70,
            Models = ["qwen2.5-7b-instruct", "qwen-plus", "qwen-max"],
        },
        ["mistral"] = new()
        {
            Type = ProviderTypes.OpenAi, TtftMs = new(300, 1200), TokensPerSecond = 90,
            Models = ["mistral-small-2409", "mistral-large-2411"],
        },
    };
}
