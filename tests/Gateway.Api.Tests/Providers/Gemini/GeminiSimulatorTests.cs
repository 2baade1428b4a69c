using System.Text.Json;
using Switchboard.Gateway.Providers.Gemini;
using Switchboard.Gateway.Tests.Infrastructure;
using static Switchboard.Gateway.Tests.Providers.SimulatorRoundTrip;
using static Switchboard.Gateway.Tests.Providers.TranslationKit;

namespace Switchboard.Gateway.Tests.Providers.Gemini;

/// <summary>The adapter against Provider.Simulator's Gemini protocol, over real HTTP on loopback.</summary>
[Collection(SimulatorCollection.Name)]
public sealed class GeminiSimulatorTests(SimulatorFixture simulator)
{
    private const string Model = "gemini-2.0-flash-001";
    private readonly GeminiAdapter _adapter = new();

    private async Task<Switchboard.Gateway.Providers.AttemptContext> AttemptAsync(string request, object? overrides = null)
    {
        var name = await simulator.NewProviderAsync("gemini", overrides);
        return Attempt(request, type: "gemini", model: Model, baseUrl: simulator.ProviderBaseUrl(name, "gemini"));
    }

    [Fact]
    public async Task A_chat_round_trips_with_usage_and_the_reported_model()
    {
        var attempt = await AttemptAsync("""
            {"model":"chat","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Say hello."}],"max_tokens":50}
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
        Assert.Equal("[DONE]", Frames(written)[^1]);
        var chunks = Chunks(written);
        Assert.Equal("assistant", Delta(chunks[0]).Str("role"));
        Assert.False(string.IsNullOrWhiteSpace(Content(chunks)));
        Assert.Equal("stop", translator.FinishReason);
        Assert.Equal(12, chunks[^1].GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task A_json_schema_request_answers_json_with_the_required_properties()
    {
        var attempt = await AttemptAsync("""
            {"model":"chat","messages":[{"role":"user","content":"Classify."}],
             "response_format":{"type":"json_schema","json_schema":{"name":"r","schema":{"type":"object","additionalProperties":false,
               "properties":{"label":{"type":"string"},"score":{"type":"number"}},"required":["label","score"]}}}}
            """);

        var (response, completion) = await CompleteAsync(_adapter, attempt);
        using (response)
        {
            Assert.NotNull(completion);
            var answer = JsonDocument.Parse(Message(completion).Str("content")!).RootElement;
            Assert.True(answer.TryGetProperty("label", out _));
            Assert.True(answer.TryGetProperty("score", out _));
        }
    }

    [Fact]
    public async Task A_forced_function_comes_back_as_a_tool_call_and_the_result_can_be_sent_back()
    {
        const string tools = """
            "tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object",
              "properties":{"city":{"type":"string"}},"required":["city"]}}}]
            """;
        var attempt = await AttemptAsync("""
            {"model":"chat","messages":[{"role":"user","content":"Weather in Paris?"}],
             "tool_choice":{"type":"function","function":{"name":"get_weather"} },
            """ + tools + "}");

        var (response, completion) = await CompleteAsync(_adapter, attempt);
        string callId, arguments;
        using (response)
        {
            Assert.NotNull(completion);
            Assert.Equal("tool_calls", completion.FinishReason);
            var call = Message(completion).GetProperty("tool_calls")[0];
            callId = call.Str("id")!;
            arguments = call.GetProperty("function").Str("arguments")!;
            Assert.True(JsonDocument.Parse(arguments).RootElement.TryGetProperty("city", out _));
        }

        // Second turn: the tool result goes back as a functionResponse matched by the generated id.
        var id = JsonSerializer.Serialize(callId);
        var followUp = Attempt(
            """{"model":"chat","messages":[{"role":"user","content":"Weather in Paris?"},"""
            + """{"role":"assistant","content":null,"tool_calls":[{"id":""" + id + ""","type":"function","function":{"name":"get_weather","arguments":"""
            + JsonSerializer.Serialize(arguments) + "}}]},"
            + """{"role":"tool","tool_call_id":""" + id + ""","content":"{\"tempC\":18}"}],""" + tools + "}",
            type: "gemini", model: Model, baseUrl: attempt.Provider.BaseUrl.AbsoluteUri);
        var (second, answer) = await CompleteAsync(_adapter, followUp);
        using (second)
        {
            Assert.NotNull(answer);
            Assert.Equal("stop", answer.FinishReason);
        }
    }

    [Fact]
    public async Task An_injected_rate_limit_is_read_as_resource_exhausted()
    {
        var attempt = await AttemptAsync("""{"model":"chat","messages":[{"role":"user","content":"x"}]}""",
            new { failureRate = 1.0, failureStatus = 429 });

        var (response, completion) = await CompleteAsync(_adapter, attempt);
        using (response)
        {
            Assert.Null(completion);
            var error = await _adapter.ReadErrorAsync(response, CancellationToken.None);
            Assert.Equal(429, error.Status);
            Assert.Equal("RESOURCE_EXHAUSTED", error.Type);
        }
    }
}
