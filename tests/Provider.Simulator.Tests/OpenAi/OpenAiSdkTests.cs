using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text;
using System.Text.Json;
using OpenAI;
using OpenAI.Chat;
using Switchboard.Simulator.Tests.Infrastructure;

namespace Switchboard.Simulator.Tests.OpenAi;

// The official OpenAI .NET SDK (2.15.0), unmodified, pointed at the simulator.
[Collection(SimulatorCollection.Name)]
public sealed class OpenAiSdkTests(SimulatorServer server)
{
    private const string WeatherSchema = """
        {"type":"object","properties":{"location":{"type":"string"},"unit":{"type":"string","enum":["celsius","fahrenheit"]},"days":{"type":"integer"}},"required":["location","unit"]}
        """;

    private OpenAIClientOptions Options(string provider) => new()
    {
        Endpoint = new Uri(server.BaseAddress, $"/{provider}/v1"),
        RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
    };

    private ChatClient Chat(string provider, string model = "gpt-4o-2024-08-06") =>
        new(model, new ApiKeyCredential("sk-sim"), Options(provider));

    [Fact]
    public async Task Completion_has_text_the_requested_model_and_usage_that_counts_the_pieces()
    {
        var provider = await server.ProviderAsync("openai", new { outputTokens = 25 });

        ChatCompletion completion = await Chat(provider).CompleteChatAsync([new SystemChatMessage("Be brief."), new UserChatMessage("Hello there")]);

        Assert.Equal("gpt-4o-2024-08-06", completion.Model);
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        Assert.Equal(ChatMessageRole.Assistant, completion.Role);
        Assert.StartsWith("chatcmpl-", completion.Id, StringComparison.Ordinal);
        Assert.False(string.IsNullOrWhiteSpace(completion.Content[0].Text));
        Assert.Equal(25, completion.Usage.OutputTokenCount);
        Assert.Equal(completion.Usage.InputTokenCount + 25, completion.Usage.TotalTokenCount);
        // Documented rule: ceil(characters / 4) + 4 per message. "Be brief." + "Hello there" = 20 characters, 2 messages.
        Assert.Equal(5 + 8, completion.Usage.InputTokenCount);
    }

    [Fact]
    public async Task Streaming_yields_one_update_per_token_then_usage_and_the_same_text_as_non_streaming()
    {
        var provider = await server.ProviderAsync("openai", new { outputTokens = 12 });
        var chat = Chat(provider);
        ChatMessage[] messages = [new UserChatMessage("Stream this please")];

        var text = new StringBuilder();
        var contentUpdates = 0;
        ChatTokenUsage? usage = null;
        ChatFinishReason? finish = null;
        await foreach (var update in chat.CompleteChatStreamingAsync(messages))
        {
            foreach (var part in update.ContentUpdate)
            {
                if (part.Text.Length > 0)
                {
                    contentUpdates++;
                    text.Append(part.Text);
                }
            }

            usage = update.Usage ?? usage;
            finish = update.FinishReason ?? finish;
            Assert.Equal("gpt-4o-2024-08-06", update.Model);
        }

        ChatCompletion whole = await chat.CompleteChatAsync(messages);
        Assert.Equal(whole.Content[0].Text, text.ToString());
        Assert.Equal(12, contentUpdates);
        Assert.NotNull(usage);
        Assert.Equal(12, usage.OutputTokenCount);
        Assert.Equal(ChatFinishReason.Stop, finish);
    }

    [Fact]
    public async Task Required_tool_choice_streams_a_tool_call_as_argument_fragments_of_valid_json()
    {
        var provider = await server.ProviderAsync("openai");
        var options = new ChatCompletionOptions
        {
            Tools = { ChatTool.CreateFunctionTool("get_weather", "Weather for a place", BinaryData.FromString(WeatherSchema)) },
            ToolChoice = ChatToolChoice.CreateRequiredChoice(),
        };

        var arguments = new StringBuilder();
        var fragments = 0;
        string? name = null, id = null;
        ChatTokenUsage? usage = null;
        ChatFinishReason? finish = null;
        await foreach (var update in Chat(provider).CompleteChatStreamingAsync([new UserChatMessage("What is the weather in Paris?")], options))
        {
            foreach (var call in update.ToolCallUpdates)
            {
                Assert.Equal(0, call.Index);
                name ??= call.FunctionName;
                id ??= call.ToolCallId;
                if (call.FunctionArgumentsUpdate is { } delta && delta.ToMemory().Length > 0)
                {
                    fragments++;
                    arguments.Append(delta.ToString());
                }
            }

            usage = update.Usage ?? usage;
            finish = update.FinishReason ?? finish;
        }

        Assert.Equal("get_weather", name);
        Assert.StartsWith("call_", id, StringComparison.Ordinal);
        Assert.Equal(ChatFinishReason.ToolCalls, finish);
        Assert.True(fragments > 3, $"expected the arguments in several fragments, got {fragments}");
        using var json = JsonDocument.Parse(arguments.ToString());
        Assert.Equal(JsonValueKind.String, json.RootElement.GetProperty("location").ValueKind);
        Assert.Equal("celsius", json.RootElement.GetProperty("unit").GetString());
        Assert.NotNull(usage);
        Assert.Equal(fragments, usage.OutputTokenCount);
    }

    [Fact]
    public async Task A_user_message_saying_call_a_tool_triggers_a_non_streaming_tool_call()
    {
        var provider = await server.ProviderAsync("openai");
        var options = new ChatCompletionOptions { Tools = { ChatTool.CreateFunctionTool("get_weather", "Weather", BinaryData.FromString(WeatherSchema)) } };

        ChatCompletion completion = await Chat(provider).CompleteChatAsync([new UserChatMessage("Please call a tool for Paris")], options);

        Assert.Equal(ChatFinishReason.ToolCalls, completion.FinishReason);
        var call = Assert.Single(completion.ToolCalls);
        Assert.Equal("get_weather", call.FunctionName);
        using var json = JsonDocument.Parse(call.FunctionArguments);
        Assert.True(json.RootElement.TryGetProperty("location", out _));

        ChatCompletion plain = await Chat(provider).CompleteChatAsync([new UserChatMessage("Just talk")], options);
        Assert.Equal(ChatFinishReason.Stop, plain.FinishReason);
        Assert.Empty(plain.ToolCalls);
    }

    [Fact]
    public async Task Json_schema_response_format_answers_json_with_the_required_properties()
    {
        var provider = await server.ProviderAsync("openai");
        var options = new ChatCompletionOptions
        {
            ResponseFormat = ChatResponseFormat.CreateJsonSchemaFormat("sentiment", BinaryData.FromString(
                """{"type":"object","properties":{"label":{"type":"string","enum":["positive","negative"]},"score":{"type":"number"},"notes":{"type":"string"}},"required":["label","score"],"additionalProperties":false}""")),
        };

        ChatCompletion completion = await Chat(provider).CompleteChatAsync([new UserChatMessage("Classify: great!")], options);

        using var json = JsonDocument.Parse(completion.Content[0].Text);
        Assert.Equal("positive", json.RootElement.GetProperty("label").GetString());
        Assert.Equal(JsonValueKind.Number, json.RootElement.GetProperty("score").ValueKind);
        Assert.False(json.RootElement.TryGetProperty("notes", out _));
    }

    [Fact]
    public async Task Json_object_response_format_answers_a_json_object()
    {
        var provider = await server.ProviderAsync("openai");
        var options = new ChatCompletionOptions { ResponseFormat = ChatResponseFormat.CreateJsonObjectFormat() };

        ChatCompletion completion = await Chat(provider).CompleteChatAsync([new UserChatMessage("Answer in JSON")], options);

        using var json = JsonDocument.Parse(completion.Content[0].Text);
        Assert.Equal(JsonValueKind.Object, json.RootElement.ValueKind);
    }

    [Fact]
    public async Task Logprobs_come_back_per_token_with_the_requested_alternatives()
    {
        var provider = await server.ProviderAsync("openai", new { outputTokens = 6 });
        var options = new ChatCompletionOptions { IncludeLogProbabilities = true, TopLogProbabilityCount = 3 };

        ChatCompletion completion = await Chat(provider).CompleteChatAsync([new UserChatMessage("hi")], options);

        Assert.Equal(6, completion.ContentTokenLogProbabilities.Count);
        Assert.Equal(completion.Content[0].Text, string.Concat(completion.ContentTokenLogProbabilities.Select(t => t.Token)));
        foreach (var token in completion.ContentTokenLogProbabilities)
        {
            Assert.True(token.LogProbability <= 0);
            Assert.Equal(Encoding.UTF8.GetBytes(token.Token), token.Utf8Bytes!.Value.ToArray());
            Assert.Equal(3, token.TopLogProbabilities.Count);
            Assert.Equal(token.Token, token.TopLogProbabilities[0].Token);
        }
    }

    [Fact]
    public async Task Max_output_tokens_below_the_profile_truncates_with_finish_reason_length()
    {
        var provider = await server.ProviderAsync("openai", new { outputTokens = 30 });

        ChatCompletion completion = await Chat(provider).CompleteChatAsync([new UserChatMessage("hi")], new ChatCompletionOptions { MaxOutputTokenCount = 4 });

        Assert.Equal(ChatFinishReason.Length, completion.FinishReason);
        Assert.Equal(4, completion.Usage.OutputTokenCount);
    }

    [Fact]
    public async Task Report_model_answers_with_another_model_name_to_simulate_drift()
    {
        var provider = await server.ProviderAsync("openai", new { reportModel = "gpt-4o-2024-11-20" });

        ChatCompletion completion = await Chat(provider).CompleteChatAsync([new UserChatMessage("hi")]);

        Assert.Equal("gpt-4o-2024-11-20", completion.Model);
    }

    [Fact]
    public async Task An_injected_failure_surfaces_as_the_sdks_exception_with_the_status()
    {
        var provider = await server.ProviderAsync("openai", new { failureRate = 1.0, failureStatus = 503 });

        var ex = await Assert.ThrowsAsync<ClientResultException>(() => Chat(provider).CompleteChatAsync([new UserChatMessage("hi")]));

        Assert.Equal(503, ex.Status);
        Assert.Contains("overloaded", ex.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(new Stats(1, 0, 0, 1), await server.StatsAsync(provider));
    }

    [Fact]
    public async Task Past_requests_per_minute_the_sdk_sees_a_429()
    {
        var provider = await server.ProviderAsync("openai", new { requestsPerMinute = 2 });
        var chat = Chat(provider);
        await chat.CompleteChatAsync([new UserChatMessage("1")]);
        await chat.CompleteChatAsync([new UserChatMessage("2")]);

        var ex = await Assert.ThrowsAsync<ClientResultException>(() => chat.CompleteChatAsync([new UserChatMessage("3")]));

        Assert.Equal(429, ex.Status);
        var headers = ex.GetRawResponse()!.Headers;
        Assert.True(headers.TryGetValue("Retry-After", out var retryAfter) && int.Parse(retryAfter!, System.Globalization.CultureInfo.InvariantCulture) is > 0 and <= 60);
        Assert.True(headers.TryGetValue("x-ratelimit-remaining-requests", out var remaining));
        Assert.Equal("0", remaining);
    }

    [Fact]
    public async Task Models_are_listed_through_the_sdk()
    {
        var models = new OpenAIClient(new ApiKeyCredential("sk-sim"), Options("deepseek")).GetOpenAIModelClient();

        var list = await models.GetModelsAsync();

        Assert.Contains(list.Value, m => m.Id == "deepseek-chat" && m.OwnedBy == "deepseek");
    }
}
