using System.Text;
using System.Text.Json;
using Anthropic;
using Anthropic.Exceptions;
using Anthropic.Models.Messages;
using Switchboard.Simulator.Tests.Infrastructure;

namespace Switchboard.Simulator.Tests.Anthropic;

// The official Anthropic .NET SDK (13.14.0), unmodified, pointed at the simulator.
[Collection(SimulatorCollection.Name)]
public sealed class AnthropicSdkTests(SimulatorServer server)
{
    private AnthropicClient Client(string provider) => new()
    {
        ApiKey = "sk-ant-sim",
        BaseUrl = new Uri(server.BaseAddress, $"/{provider}").ToString(),
        MaxRetries = 0,
    };

    private static MessageCreateParams Params(string text, bool tools = false) => new()
    {
        MaxTokens = 1024,
        Model = "claude-3-5-sonnet-20241022",
        Messages = [new UserMessageParam(text)],
    };

    [Fact]
    public async Task Message_has_a_text_block_the_requested_model_and_usage_that_counts_the_pieces()
    {
        var provider = await server.ProviderAsync("anthropic", new { outputTokens = 18 });

        var message = await Client(provider).Messages.Create(Params("Hello Claude"));

        Assert.Equal("claude-3-5-sonnet-20241022", message.Model.Raw());
        Assert.StartsWith("msg_", message.ID, StringComparison.Ordinal);
        Assert.Equal(StopReason.EndTurn, message.StopReason!.Value());
        Assert.True(Assert.Single(message.Content).TryPickText(out var text));
        Assert.False(string.IsNullOrWhiteSpace(text.Text));
        Assert.Equal(18, message.Usage.OutputTokens);
        // ceil(12 / 4) + 4 for one message.
        Assert.Equal(7, message.Usage.InputTokens);
    }

    [Fact]
    public async Task Streaming_events_arrive_in_order_and_rebuild_the_non_streaming_text()
    {
        var provider = await server.ProviderAsync("anthropic", new { outputTokens = 9 });
        var client = Client(provider);

        var kinds = new List<string>();
        var text = new StringBuilder();
        long? outputTokens = null;
        await foreach (var e in client.Messages.CreateStreaming(Params("Stream to me")))
        {
            if (e.TryPickStart(out var start))
            {
                kinds.Add("message_start");
                Assert.Equal("claude-3-5-sonnet-20241022", start.Message.Model.Raw());
            }
            else if (e.TryPickContentBlockStart(out _))
            {
                kinds.Add("content_block_start");
            }
            else if (e.TryPickContentBlockDelta(out var delta))
            {
                kinds.Add("content_block_delta");
                Assert.True(delta.Delta.TryPickText(out var piece));
                text.Append(piece.Text);
            }
            else if (e.TryPickContentBlockStop(out _))
            {
                kinds.Add("content_block_stop");
            }
            else if (e.TryPickDelta(out var messageDelta))
            {
                kinds.Add("message_delta");
                Assert.Equal(StopReason.EndTurn, messageDelta.Delta.StopReason!.Value());
                outputTokens = messageDelta.Usage.OutputTokens;
            }
            else if (e.TryPickStop(out _))
            {
                kinds.Add("message_stop");
            }
        }

        string[] expected = ["message_start", "content_block_start", .. Enumerable.Repeat("content_block_delta", 9), "content_block_stop", "message_delta", "message_stop"];
        Assert.Equal(expected, kinds);
        Assert.Equal(9, outputTokens);
        var whole = await client.Messages.Create(Params("Stream to me"));
        Assert.True(whole.Content[0].TryPickText(out var wholeText));
        Assert.Equal(wholeText.Text, text.ToString());
    }

    [Fact]
    public async Task Tool_choice_any_streams_tool_use_input_as_json_fragments()
    {
        var provider = await server.ProviderAsync("anthropic");
        var parameters = Params("Weather in Paris?") with
        {
            Tools = [new Tool
            {
                Name = "get_weather",
                Description = "Weather for a place",
                InputSchema = new InputSchema
                {
                    Properties = new Dictionary<string, JsonElement>
                    {
                        ["location"] = JsonSerializer.SerializeToElement(new { type = "string" }),
                        ["unit"] = JsonSerializer.SerializeToElement(new { type = "string", @enum = new[] { "celsius", "fahrenheit" } }),
                    },
                    Required = ["location", "unit"],
                },
            }],
            ToolChoice = new ToolChoiceAny(),
        };

        var partial = new StringBuilder();
        var fragments = 0;
        string? toolName = null;
        StopReason? stop = null;
        long? outputTokens = null;
        await foreach (var e in Client(provider).Messages.CreateStreaming(parameters))
        {
            if (e.TryPickContentBlockStart(out var start) && start.ContentBlock.TryPickToolUse(out var toolUse))
            {
                toolName = toolUse.Name;
                Assert.StartsWith("toolu_", toolUse.ID, StringComparison.Ordinal);
            }
            else if (e.TryPickContentBlockDelta(out var delta) && delta.Delta.TryPickInputJson(out var json))
            {
                fragments++;
                partial.Append(json.PartialJson);
            }
            else if (e.TryPickDelta(out var messageDelta))
            {
                stop = messageDelta.Delta.StopReason!.Value();
                outputTokens = messageDelta.Usage.OutputTokens;
            }
        }

        Assert.Equal("get_weather", toolName);
        Assert.Equal(StopReason.ToolUse, stop);
        Assert.True(fragments > 3);
        Assert.Equal(fragments, outputTokens);
        using var input = JsonDocument.Parse(partial.ToString());
        Assert.Equal("Paris, France", input.RootElement.GetProperty("location").GetString());
        Assert.Equal("celsius", input.RootElement.GetProperty("unit").GetString());

        var message = await Client(provider).Messages.Create(parameters);
        Assert.True(Assert.Single(message.Content).TryPickToolUse(out var block));
        Assert.Equal("get_weather", block.Name);
        Assert.Equal("Paris, France", block.Input["location"].GetString());
    }

    [Fact]
    public async Task Extended_thinking_answers_a_signed_thinking_block_before_the_text()
    {
        var provider = await server.ProviderAsync("anthropic", new { outputTokens = 10 });
        var parameters = Params("Think first") with { Thinking = new ThinkingConfigEnabled(2048) };

        var message = await Client(provider).Messages.Create(parameters);

        Assert.Equal(2, message.Content.Count);
        Assert.True(message.Content[0].TryPickThinking(out var thinking));
        Assert.False(string.IsNullOrEmpty(thinking.Thinking));
        Assert.False(string.IsNullOrEmpty(thinking.Signature));
        Assert.True(message.Content[1].TryPickText(out _));

        var thinkingDeltas = 0;
        var signatures = 0;
        await foreach (var e in Client(provider).Messages.CreateStreaming(parameters))
        {
            if (e.TryPickContentBlockDelta(out var delta))
            {
                thinkingDeltas += delta.Delta.TryPickThinking(out _) ? 1 : 0;
                signatures += delta.Delta.TryPickSignature(out _) ? 1 : 0;
            }
        }

        Assert.Equal(10, thinkingDeltas); // budget / 64, capped by outputTokens
        Assert.Equal(1, signatures);
    }

    [Fact]
    public async Task Overloaded_529_surfaces_as_the_sdks_exception()
    {
        var provider = await server.ProviderAsync("anthropic", new { failureRate = 1.0, failureStatus = 529 });

        var ex = await Assert.ThrowsAnyAsync<AnthropicApiException>(() => Client(provider).Messages.Create(Params("hi")));

        Assert.Equal(529, (int)ex.StatusCode);
        Assert.Contains("overloaded_error", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_provider_from_configuration_is_served()
    {
        var message = await Client("configured").Messages.Create(Params("hi"));

        Assert.Equal(7, message.Usage.OutputTokens);
    }
}
