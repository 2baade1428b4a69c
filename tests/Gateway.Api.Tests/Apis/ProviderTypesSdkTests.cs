using System.Text.Json;
using OpenAI.Chat;
using Switchboard.Gateway.Tests.Infrastructure;

namespace Switchboard.Gateway.Tests.Apis;

/// <summary>
/// The official OpenAI .NET SDK, unmodified, as the client of the gateway, over the simulator, for each provider
/// type: chat, streaming, tool calls round trip, JSON mode.
/// </summary>
[Collection(SimulatorCollection.Name)]
public sealed class ProviderTypesSdkTests(SimulatorFixture sim) : IAsyncLifetime
{
    private static readonly Dictionary<string, (string Type, string Model)> Kinds = new()
    {
        ["openai"] = ("openai", "gpt-4o-2024-08-06"),
        ["deepseek"] = ("openai", "deepseek-chat"),
        ["anthropic"] = ("anthropic", "claude-3-5-sonnet-20241022"),
        ["gemini"] = ("gemini", "gemini-1.5-pro-002"),
    };

    private GatewayFactory _gateway = null!;
    private readonly Dictionary<string, string> _names = [];

    public async Task InitializeAsync()
    {
        var doc = new RoutingJson();
        foreach (var (kind, (type, model)) in Kinds)
        {
            var name = await sim.NewProviderAsync(type);
            _names[kind] = name;
            doc.Provider(name, type, sim.ProviderBaseUrl(name, type), "sim-key").Route(kind, [(name, model)]);
        }
        _gateway = new GatewayFactory(doc.ToString());
    }

    public Task DisposeAsync()
    {
        _gateway.Dispose();
        return Task.CompletedTask;
    }

    [Theory]
    [InlineData("openai")]
    [InlineData("deepseek")]
    [InlineData("anthropic")]
    [InlineData("gemini")]
    public async Task Chat_returns_a_completion_with_usage(string kind)
    {
        var chat = _gateway.Chat(kind);
        var result = await chat.CompleteChatAsync([new UserChatMessage("Say hello.")]);
        var completion = result.Value;
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        Assert.False(string.IsNullOrWhiteSpace(completion.Content[0].Text));
        Assert.True(completion.Usage.InputTokenCount > 0);
        Assert.True(completion.Usage.OutputTokenCount > 0);
        var raw = result.GetRawResponse();
        Assert.Equal(_names[kind], raw.Headers.TryGetValue("x-switchboard-provider", out var p) ? p : null);
        Assert.Equal(Kinds[kind].Model, raw.Headers.TryGetValue("x-switchboard-model", out var m) ? m : null);
        Assert.Equal("1", raw.Headers.TryGetValue("x-switchboard-attempts", out var a) ? a : null);
        Assert.Equal("false", raw.Headers.TryGetValue("x-switchboard-hedged", out var h) ? h : null);
        Assert.True(raw.Headers.TryGetValue("x-switchboard-cost-usd", out var cost) && decimal.Parse(cost!, System.Globalization.CultureInfo.InvariantCulture) > 0);
        Assert.True(raw.Headers.TryGetValue("x-request-id", out var id) && id!.Length > 0);
    }

    [Theory]
    [InlineData("openai")]
    [InlineData("deepseek")]
    [InlineData("anthropic")]
    [InlineData("gemini")]
    public async Task Streaming_yields_content_then_usage_when_asked(string kind)
    {
        var chat = _gateway.Chat(kind);
        var text = new System.Text.StringBuilder();
        ChatTokenUsage? usage = null;
        ChatFinishReason? finish = null;
        await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage("Tell me a story.")]))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }
            usage ??= update.Usage;
            finish ??= update.FinishReason;
        }
        Assert.True(text.Length > 0);
        Assert.Equal(ChatFinishReason.Stop, finish);
        // The SDK always asks for stream_options.include_usage: the final usage chunk must reach it.
        Assert.NotNull(usage);
        Assert.True(usage!.OutputTokenCount > 0);
    }

    [Theory]
    [InlineData("openai")]
    [InlineData("deepseek")]
    [InlineData("anthropic")]
    [InlineData("gemini")]
    public async Task Tool_calls_round_trip(string kind)
    {
        var chat = _gateway.Chat(kind);
        var tool = ChatTool.CreateFunctionTool("get_weather", "Weather for a city",
            BinaryData.FromString("""{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}"""));
        var messages = new List<ChatMessage> { new UserChatMessage("What is the weather in Paris?") };
        var first = (await chat.CompleteChatAsync(messages, new ChatCompletionOptions { Tools = { tool }, ToolChoice = ChatToolChoice.CreateRequiredChoice() })).Value;
        Assert.Equal(ChatFinishReason.ToolCalls, first.FinishReason);
        var call = Assert.Single(first.ToolCalls);
        Assert.Equal("get_weather", call.FunctionName);
        using (var args = JsonDocument.Parse(call.FunctionArguments))
        {
            Assert.Equal(JsonValueKind.Object, args.RootElement.ValueKind);
        }
        messages.Add(new AssistantChatMessage(first));
        messages.Add(new ToolChatMessage(call.Id, """{"temperature_c": 21}"""));
        var second = (await chat.CompleteChatAsync(messages, new ChatCompletionOptions { Tools = { tool } })).Value;
        Assert.Equal(ChatFinishReason.Stop, second.FinishReason);
        Assert.False(string.IsNullOrWhiteSpace(second.Content[0].Text));
    }

    [Theory]
    [InlineData("openai")]
    [InlineData("anthropic")]
    [InlineData("gemini")]
    public async Task Streaming_tool_calls_arrive_as_fragments_that_join_into_json(string kind)
    {
        var chat = _gateway.Chat(kind);
        var tool = ChatTool.CreateFunctionTool("lookup", "Look something up",
            BinaryData.FromString("""{"type":"object","properties":{"query":{"type":"string"}},"required":["query"]}"""));
        var args = new System.Text.StringBuilder();
        string? name = null;
        await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage("Please call a tool.")],
            new ChatCompletionOptions { Tools = { tool }, ToolChoice = ChatToolChoice.CreateRequiredChoice() }))
        {
            foreach (var t in update.ToolCallUpdates)
            {
                name ??= t.FunctionName;
                args.Append(t.FunctionArgumentsUpdate?.ToString());
            }
        }
        Assert.Equal("lookup", name);
        using var doc = JsonDocument.Parse(args.ToString());
        Assert.True(doc.RootElement.TryGetProperty("query", out _));
    }

    [Theory]
    [InlineData("openai")]
    [InlineData("anthropic")]
    [InlineData("gemini")]
    public async Task Json_mode_answers_parse_as_json(string kind)
    {
        var chat = _gateway.Chat(kind);
        var answer = await chat.CompleteChatAsync([new UserChatMessage("Give me a JSON object describing a cat.")],
            new ChatCompletionOptions { ResponseFormat = ChatResponseFormat.CreateJsonObjectFormat() });
        if (kind == "anthropic")
        {
            // No native JSON mode: the adapter asks for JSON in the system prompt and says so in a warning.
            Assert.True(answer.GetRawResponse().Headers.TryGetValue("x-switchboard-warning", out var warning));
            Assert.Contains("response_format", warning, StringComparison.Ordinal);
            return;
        }
        using var doc = JsonDocument.Parse(answer.Value.Content[0].Text);
        Assert.Equal(JsonValueKind.Object, doc.RootElement.ValueKind);
    }
}
