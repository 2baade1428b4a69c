using System.Text.Json;
using Switchboard.Gateway.Providers;
using Switchboard.Gateway.Providers.Anthropic;
using static Switchboard.Gateway.Tests.Providers.TranslationKit;

namespace Switchboard.Gateway.Tests.Providers.Anthropic;

public sealed class AnthropicRequestWriterTests
{
    private static (JsonElement Body, AttemptContext Attempt) Translate(string request, int defaultMaxTokens = 4096)
    {
        var attempt = Attempt(request, defaultMaxTokens: defaultMaxTokens);
        return (Written(AnthropicRequestWriter.Write, attempt), attempt);
    }

    [Fact]
    public void System_and_developer_messages_become_top_level_system_blocks()
    {
        var (body, _) = Translate("""
            {"model":"m","messages":[
              {"role":"system","content":"You are terse."},
              {"role":"developer","content":[{"type":"text","text":"Answer in French."}]},
              {"role":"user","content":"Hi"}]}
            """);

        var system = body.GetProperty("system");
        Assert.Equal(2, system.GetArrayLength());
        Assert.Equal("You are terse.", system[0].GetProperty("text").GetString());
        Assert.Equal("Answer in French.", system[1].GetProperty("text").GetString());
        var messages = body.GetProperty("messages");
        Assert.Equal(1, messages.GetArrayLength());
        Assert.Equal("user", messages[0].GetProperty("role").GetString());
        Assert.Equal("Hi", messages[0].GetProperty("content")[0].GetProperty("text").GetString());
        Assert.Equal("claude-sonnet-4-20250514", body.GetProperty("model").GetString());
    }

    [Fact]
    public void Consecutive_messages_of_one_role_are_merged_into_one_turn()
    {
        var (body, _) = Translate("""
            {"model":"m","messages":[
              {"role":"user","content":"one"},{"role":"user","content":"two"},
              {"role":"assistant","content":"three"},{"role":"user","content":"four"}]}
            """);

        var messages = body.GetProperty("messages");
        Assert.Equal(["user", "assistant", "user"], messages.EnumerateArray().Select(m => m.GetProperty("role").GetString()));
        Assert.Equal(["one", "two"], messages[0].GetProperty("content").EnumerateArray().Select(b => b.GetProperty("text").GetString()));
    }

    [Fact]
    public void Images_map_data_urls_to_base64_and_http_urls_to_url_sources()
    {
        var (body, _) = Translate("""
            {"model":"m","messages":[{"role":"user","content":[
              {"type":"text","text":"What is this?"},
              {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo+/="}},
              {"type":"image_url","image_url":{"url":"https://example.com/cat.jpg","detail":"high"}}]}]}
            """);

        var content = body.GetProperty("messages")[0].GetProperty("content");
        var b64 = content[1];
        Assert.Equal("image", b64.GetProperty("type").GetString());
        Assert.Equal("base64", b64.GetProperty("source").GetProperty("type").GetString());
        Assert.Equal("image/png", b64.GetProperty("source").GetProperty("media_type").GetString());
        Assert.Equal("iVBORw0KGgo+/=", b64.GetProperty("source").GetProperty("data").GetString());
        var url = content[2].GetProperty("source");
        Assert.Equal("url", url.GetProperty("type").GetString());
        Assert.Equal("https://example.com/cat.jpg", url.GetProperty("url").GetString());
    }

    [Fact]
    public void An_image_url_that_is_neither_http_nor_data_is_a_translation_error_naming_the_field()
    {
        var ex = Assert.Throws<RequestTranslationException>(() => Translate("""
            {"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"ftp://x/y.png"}}]}]}
            """));
        Assert.Equal("messages[0].content[0].image_url.url", ex.Param);
    }

    [Fact]
    public void Tools_become_name_description_input_schema()
    {
        var (body, _) = Translate("""
            {"model":"m","messages":[{"role":"user","content":"weather?"}],
             "tools":[{"type":"function","function":{"name":"get_weather","description":"Get the weather",
               "parameters":{"type":"object","properties":{"location":{"type":"string"}},"required":["location"]}}},
               {"type":"function","function":{"name":"now"}}]}
            """);

        var tools = body.GetProperty("tools");
        Assert.Equal("get_weather", tools[0].GetProperty("name").GetString());
        Assert.Equal("Get the weather", tools[0].GetProperty("description").GetString());
        Assert.Equal("string", tools[0].GetProperty("input_schema").GetProperty("properties").GetProperty("location").GetProperty("type").GetString());
        Assert.Equal("object", tools[1].GetProperty("input_schema").GetProperty("type").GetString());
        Assert.False(body.TryGetProperty("tool_choice", out _));
    }

    [Theory]
    [InlineData("\"auto\"", "auto", null)]
    [InlineData("\"none\"", "none", null)]
    [InlineData("\"required\"", "any", null)]
    [InlineData("{\"type\":\"function\",\"function\":{\"name\":\"get_weather\"}}", "tool", "get_weather")]
    public void Tool_choice_maps_to_anthropic_types(string choice, string type, string? name)
    {
        var (body, _) = Translate($$$"""
            {"model":"m","messages":[{"role":"user","content":"x"}],"tool_choice":{{{choice}}},
             "tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{} } } }]}
            """);

        var toolChoice = body.GetProperty("tool_choice");
        Assert.Equal(type, toolChoice.GetProperty("type").GetString());
        Assert.Equal(name, toolChoice.Str("name"));
    }

    [Fact]
    public void Parallel_tool_calls_false_disables_parallel_tool_use()
    {
        var (body, _) = Translate("""
            {"model":"m","messages":[{"role":"user","content":"x"}],"parallel_tool_calls":false,
             "tools":[{"type":"function","function":{"name":"f"}}]}
            """);

        Assert.Equal("auto", body.GetProperty("tool_choice").GetProperty("type").GetString());
        Assert.True(body.GetProperty("tool_choice").GetProperty("disable_parallel_tool_use").GetBoolean());
    }

    [Fact]
    public void Assistant_tool_calls_and_tool_results_become_tool_use_and_tool_result_blocks()
    {
        var (body, _) = Translate("""
            {"model":"m","messages":[
              {"role":"user","content":"Weather in Paris and Rome?"},
              {"role":"assistant","content":null,"tool_calls":[
                {"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},
                {"id":"call_2","type":"function","function":{"name":"get_weather","arguments":""}}]},
              {"role":"tool","tool_call_id":"call_1","content":"18C"},
              {"role":"tool","tool_call_id":"call_2","content":[{"type":"text","text":"21C"}]},
              {"role":"user","content":"Thanks"}]}
            """);

        var messages = body.GetProperty("messages");
        Assert.Equal(["user", "assistant", "user"], messages.EnumerateArray().Select(m => m.GetProperty("role").GetString()));
        var uses = messages[1].GetProperty("content");
        Assert.Equal("tool_use", uses[0].GetProperty("type").GetString());
        Assert.Equal("call_1", uses[0].GetProperty("id").GetString());
        Assert.Equal("get_weather", uses[0].GetProperty("name").GetString());
        Assert.Equal("Paris", uses[0].GetProperty("input").GetProperty("city").GetString());
        Assert.Equal(JsonValueKind.Object, uses[1].GetProperty("input").ValueKind); // empty arguments -> {}
        var results = messages[2].GetProperty("content");
        Assert.Equal(3, results.GetArrayLength());
        Assert.Equal("tool_result", results[0].GetProperty("type").GetString());
        Assert.Equal("call_1", results[0].GetProperty("tool_use_id").GetString());
        Assert.Equal("18C", results[0].GetProperty("content").GetString());
        Assert.Equal("21C", results[1].GetProperty("content")[0].GetProperty("text").GetString());
        Assert.Equal("Thanks", results[2].GetProperty("text").GetString()); // tool results come first in the turn
    }

    [Fact]
    public void Tool_call_arguments_that_are_not_a_json_object_are_a_translation_error()
    {
        var ex = Assert.Throws<RequestTranslationException>(() => Translate("""
            {"model":"m","messages":[{"role":"assistant","tool_calls":[
              {"id":"c","type":"function","function":{"name":"f","arguments":"{\"a\":"}}]}]}
            """));
        Assert.Equal("messages[0].tool_calls[0].function.arguments", ex.Param);
    }

    [Theory]
    [InlineData("\"max_completion_tokens\":100,\"max_tokens\":200", 100)]
    [InlineData("\"max_tokens\":200", 200)]
    [InlineData("\"temperature\":0.5", 1234)]
    public void Max_tokens_prefers_max_completion_tokens_then_max_tokens_then_the_default(string fields, int expected)
    {
        var (body, _) = Translate($$"""{"model":"m","messages":[{"role":"user","content":"x"}],{{fields}}}""", defaultMaxTokens: 1234);
        Assert.Equal(expected, body.GetProperty("max_tokens").GetInt32());
    }

    [Fact]
    public void Sampling_stop_user_and_thinking_are_carried()
    {
        var (body, attempt) = Translate("""
            {"model":"m","messages":[{"role":"user","content":"x"}],"temperature":0.2,"top_p":0.9,"stop":"END",
             "user":"user-42","thinking":{"type":"enabled","budget_tokens":2048},"stream":true}
            """);

        Assert.Equal(0.2, body.GetProperty("temperature").GetDouble());
        Assert.Equal(0.9, body.GetProperty("top_p").GetDouble());
        Assert.Equal(["END"], body.GetProperty("stop_sequences").EnumerateArray().Select(s => s.GetString()));
        Assert.Equal("user-42", body.GetProperty("metadata").GetProperty("user_id").GetString());
        Assert.Equal(2048, body.GetProperty("thinking").GetProperty("budget_tokens").GetInt32());
        Assert.True(body.GetProperty("stream").GetBoolean());
        Assert.Empty(attempt.Warnings.Items);
    }

    [Fact]
    public void Stop_arrays_become_stop_sequences()
    {
        var (body, _) = Translate("""{"model":"m","messages":[{"role":"user","content":"x"}],"stop":["a","b"]}""");
        Assert.Equal(["a", "b"], body.GetProperty("stop_sequences").EnumerateArray().Select(s => s.GetString()));
    }

    [Fact]
    public void Temperature_above_one_is_clamped_with_a_warning()
    {
        var (body, attempt) = Translate("""{"model":"m","messages":[{"role":"user","content":"x"}],"temperature":1.7}""");
        Assert.Equal(1, body.GetProperty("temperature").GetDouble());
        Assert.Contains("anthropic: clamped 'temperature' to 1", attempt.Warnings.Items);
    }

    [Fact]
    public void Seed_logprobs_and_n_are_dropped_with_warnings()
    {
        var (body, attempt) = Translate("""
            {"model":"m","messages":[{"role":"user","content":"x"}],"seed":7,"logprobs":true,"top_logprobs":3,"n":2,
             "presence_penalty":0.1}
            """);

        Assert.False(body.TryGetProperty("seed", out _));
        Assert.False(body.TryGetProperty("n", out _));
        Assert.Contains("anthropic: dropped 'seed'", attempt.Warnings.Items);
        Assert.Contains("anthropic: dropped 'logprobs'", attempt.Warnings.Items);
        Assert.Contains("anthropic: dropped 'top_logprobs'", attempt.Warnings.Items);
        Assert.Contains("anthropic: dropped 'n' (one choice only)", attempt.Warnings.Items);
        Assert.Contains("anthropic: dropped 'presence_penalty'", attempt.Warnings.Items);
    }

    [Fact]
    public void Fields_not_asked_for_raise_no_warning()
    {
        var (_, attempt) = Translate("""
            {"model":"m","messages":[{"role":"user","content":"x"}],"logprobs":false,"n":1,"seed":null,
             "stream":true,"stream_options":{"include_usage":true}}
            """);
        Assert.Empty(attempt.Warnings.Items);
    }

    [Fact]
    public void Json_object_response_format_becomes_a_system_instruction_with_a_warning()
    {
        var (body, attempt) = Translate("""
            {"model":"m","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"x"}],
             "response_format":{"type":"json_object"}}
            """);

        var system = body.GetProperty("system");
        Assert.Equal(2, system.GetArrayLength());
        Assert.Contains("JSON object", system[1].GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Single(attempt.Warnings.Items, w => w.Contains("'response_format'", StringComparison.Ordinal));
    }

    [Fact]
    public void Json_schema_response_format_puts_the_schema_in_the_instruction()
    {
        var (body, _) = Translate("""
            {"model":"m","messages":[{"role":"user","content":"x"}],
             "response_format":{"type":"json_schema","json_schema":{"name":"r","schema":{"type":"object","properties":{"answer":{"type":"string"}}}}}}
            """);

        var text = body.GetProperty("system")[0].GetProperty("text").GetString()!;
        var schema = JsonDocument.Parse(text[text.IndexOf('{', StringComparison.Ordinal)..]).RootElement;
        Assert.Equal("string", schema.GetProperty("properties").GetProperty("answer").GetProperty("type").GetString());
    }

    [Fact]
    public void Unicode_and_escapes_survive_translation()
    {
        var (body, _) = Translate("""{"model":"m","messages":[{"role":"user","content":"naïve \"quoted\" \u2603 line\nbreak"}]}""");
        Assert.Equal("naïve \"quoted\" ☃ line\nbreak", body.GetProperty("messages")[0].GetProperty("content")[0].GetProperty("text").GetString());
    }

    [Fact]
    public void Missing_messages_is_a_translation_error()
    {
        var ex = Assert.Throws<RequestTranslationException>(() => Translate("""{"model":"m"}"""));
        Assert.Equal("messages", ex.Param);
    }
}
