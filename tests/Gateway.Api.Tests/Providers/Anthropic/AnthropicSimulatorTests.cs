using System.Text.Json;
using Switchboard.Gateway.Providers.Anthropic;
using Switchboard.Gateway.Tests.Infrastructure;
using static Switchboard.Gateway.Tests.Providers.SimulatorRoundTrip;
using static Switchboard.Gateway.Tests.Providers.TranslationKit;

namespace Switchboard.Gateway.Tests.Providers.Anthropic;

/// <summary>The adapter against Provider.Simulator's Anthropic protocol, over real HTTP on loopback.</summary>
[Collection(SimulatorCollection.Name)]
public sealed class AnthropicSimulatorTests(SimulatorFixture simulator)
{
    private const string Model = "claude-sonnet-4-20250514";
    private readonly AnthropicAdapter _adapter = new();

    private async Task<Switchboard.Gateway.Providers.AttemptContext> AttemptAsync(string request, object? overrides = null)
    {
        var name = await simulator.NewProviderAsync("anthropic", overrides);
        return Attempt(request, type: "anthropic", model: Model, baseUrl: simulator.ProviderBaseUrl(name, "anthropic"));
    }

    [Fact]
    public async Task A_chat_round_trips_with_usage_and_the_reported_model()
    {
        var attempt = await AttemptAsync("""
            {"model":"chat","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Say hello."}]}
            """);

        var (response, completion) = await CompleteAsync(_adapter, attempt);
        using (response)
        {
            Assert.NotNull(completion);
            Assert.False(string.IsNullOrWhiteSpace(Message(completion).Str("content")));
            Assert.Equal("stop", completion.FinishReason);
            Assert.Equal(Model, completion.ReportedModel);
            Assert.True(completion.Usage!.Input > 0);
            Assert.Equal(12, completion.Usage.Output);
        }
    }

    [Fact]
    public async Task A_stream_round_trips_into_openai_chunks_ending_in_done()
    {
        var attempt = await AttemptAsync("""
            {"model":"chat","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"Say hello."}]}
            """);

        var (translator, written) = await StreamAsync(_adapter, attempt);

        Assert.True(translator.Completed);
        Assert.True(translator.SawFirstToken);
        Assert.Null(translator.StreamError);
        Assert.Equal("[DONE]", Frames(written)[^1]);
        var chunks = Chunks(written);
        Assert.Equal("assistant", Delta(chunks[0]).Str("role"));
        Assert.False(string.IsNullOrWhiteSpace(Content(chunks)));
        Assert.Equal("stop", translator.FinishReason);
        var usage = chunks[^1].GetProperty("usage");
        Assert.Equal(translator.Usage!.Output, usage.GetProperty("completion_tokens").GetInt32());
        Assert.Equal(12, translator.Usage.Output);
    }

    [Fact]
    public async Task A_required_tool_comes_back_as_a_tool_call_with_valid_json_arguments()
    {
        var attempt = await AttemptAsync("""
            {"model":"chat","stream":true,"messages":[{"role":"user","content":"Weather in Paris?"}],"tool_choice":"required",
             "tools":[{"type":"function","function":{"name":"get_weather","description":"Weather",
               "parameters":{"type":"object","properties":{"city":{"type":"string"},"days":{"type":"integer"}},"required":["city","days"]}}}]}
            """);

        var (translator, written) = await StreamAsync(_adapter, attempt);

        var (id, name, arguments) = Assert.Single(ToolCalls(Chunks(written))).Value;
        Assert.False(string.IsNullOrEmpty(id));
        Assert.Equal("get_weather", name);
        var parsed = JsonDocument.Parse(arguments).RootElement;
        Assert.True(parsed.TryGetProperty("city", out _));
        Assert.True(parsed.TryGetProperty("days", out _));
        Assert.Equal("tool_calls", translator.FinishReason);
    }

    [Fact]
    public async Task An_injected_overload_is_read_as_overloaded_error()
    {
        var attempt = await AttemptAsync("""{"model":"chat","messages":[{"role":"user","content":"x"}]}""",
            new { failureRate = 1.0, failureStatus = 529 });

        var (response, completion) = await CompleteAsync(_adapter, attempt);
        using (response)
        {
            Assert.Null(completion);
            var error = await _adapter.ReadErrorAsync(response, CancellationToken.None);
            Assert.Equal(529, error.Status);
            Assert.Equal("overloaded_error", error.Type);
        }
    }
}
