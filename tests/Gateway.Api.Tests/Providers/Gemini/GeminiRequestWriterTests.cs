using System.Text.Json;
using Switchboard.Gateway.Providers;
using Switchboard.Gateway.Providers.Gemini;
using static Switchboard.Gateway.Tests.Providers.TranslationKit;

namespace Switchboard.Gateway.Tests.Providers.Gemini;

public sealed class GeminiRequestWriterTests
{
    private static (JsonElement Body, AttemptContext Attempt) Translate(string request)
    {
        var attempt = Attempt(request, type: "gemini", model: "gemini-2.0-flash-001");
        return (Written(GeminiRequestWriter.Write, attempt), attempt);
    }

    [Fact]
    public void Roles_map_to_user_and_model_and_system_messages_to_system_instruction()
    {
        var (body, _) = Translate("""
            {"model":"m","messages":[
              {"role":"system","content":"Be brief."},{"role":"developer","content":"Use metric units."},
              {"role":"user","content":"Hi"},{"role":"assistant","content":"Hello!"},
              {"role":"user","content":"Weather?"},{"role":"user","content":[{"type":"text","text":"In Paris."}]}]}
            """);

        var system = body.GetProperty("systemInstruction").GetProperty("parts");
        Assert.Equal(["Be brief.", "Use metric units."], system.EnumerateArray().Select(p => p.Str("text")));
        var contents = body.GetProperty("contents");
        Assert.Equal(["user", "model", "user"], contents.EnumerateArray().Select(c => c.Str("role")));
        Assert.Equal(["Weather?", "In Paris."], contents[2].GetProperty("parts").EnumerateArray().Select(p => p.Str("text")));
        Assert.False(body.TryGetProperty("model", out _)); // the model is in the URL
    }

    [Fact]
    public void Images_map_data_urls_to_inline_data_and_http_urls_to_file_data()
    {
        var (body, _) = Translate("""
            {"model":"m","messages":[{"role":"user","content":[
              {"type":"image_url","image_url":{"url":"data:image/jpeg;base64,/9j/4AAQSkZJRg=="}},
              {"type":"image_url","image_url":{"url":"https://example.com/photos/cat.png?size=large"}}]}]}
            """);

        var parts = body.GetProperty("contents")[0].GetProperty("parts");
        Assert.Equal("image/jpeg", parts[0].GetProperty("inlineData").Str("mimeType"));
        Assert.Equal("/9j/4AAQSkZJRg==", parts[0].GetProperty("inlineData").Str("data"));
        Assert.Equal("https://example.com/photos/cat.png?size=large", parts[1].GetProperty("fileData").Str("fileUri"));
        Assert.Equal("image/png", parts[1].GetProperty("fileData").Str("mimeType"));
    }

    [Fact]
    public void Tools_become_function_declarations_with_schemas_gemini_accepts()
    {
        var (body, _) = Translate("""
            {"model":"m","messages":[{"role":"user","content":"x"}],
             "tools":[{"type":"function","function":{"name":"get_weather","description":"Weather","strict":true,
               "parameters":{"$schema":"http://json-schema.org/draft-07/schema#","type":"object","additionalProperties":false,
                 "properties":{"location":{"type":"string","format":"uri","description":"City"},
                               "unit":{"type":["string","null"],"enum":["c","f"]},
                               "days":{"type":"array","items":{"type":"integer","additionalProperties":false}},
                               "mode":{"const":"fast"}},
                 "required":["location"]}}},
               {"type":"function","function":{"name":"now","parameters":{"type":"object","properties":{}}}}]}
            """);

        var declarations = body.GetProperty("tools")[0].GetProperty("functionDeclarations");
        var weather = declarations[0];
        Assert.Equal("get_weather", weather.Str("name"));
        Assert.Equal("Weather", weather.Str("description"));
        var parameters = weather.GetProperty("parameters");
        Assert.False(parameters.TryGetProperty("$schema", out _));
        Assert.False(parameters.TryGetProperty("additionalProperties", out _));
        Assert.Equal(["location"], parameters.GetProperty("required").EnumerateArray().Select(r => r.GetString()));
        var properties = parameters.GetProperty("properties");
        Assert.False(properties.GetProperty("location").TryGetProperty("format", out _)); // only enum/date-time formats pass
        Assert.Equal("City", properties.GetProperty("location").Str("description"));
        Assert.Equal("string", properties.GetProperty("unit").Str("type"));
        Assert.True(properties.GetProperty("unit").GetProperty("nullable").GetBoolean());
        Assert.False(properties.GetProperty("days").GetProperty("items").TryGetProperty("additionalProperties", out _));
        Assert.Equal(["fast"], properties.GetProperty("mode").GetProperty("enum").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("now", declarations[1].Str("name"));
        Assert.False(declarations[1].TryGetProperty("parameters", out _)); // Gemini rejects an OBJECT without properties
        Assert.DoesNotContain("strict", body.GetRawText(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"auto\"", "AUTO", null)]
    [InlineData("\"none\"", "NONE", null)]
    [InlineData("\"required\"", "ANY", null)]
    [InlineData("{\"type\":\"function\",\"function\":{\"name\":\"f\"}}", "ANY", "f")]
    public void Tool_choice_maps_to_function_calling_config(string choice, string mode, string? allowed)
    {
        var (body, _) = Translate($$$"""
            {"model":"m","messages":[{"role":"user","content":"x"}],"tool_choice":{{{choice}}},
             "tools":[{"type":"function","function":{"name":"f"} }]}
            """);

        var config = body.GetProperty("toolConfig").GetProperty("functionCallingConfig");
        Assert.Equal(mode, config.Str("mode"));
        if (allowed is null)
        {
            Assert.False(config.TryGetProperty("allowedFunctionNames", out _));
        }
        else
        {
            Assert.Equal([allowed], config.GetProperty("allowedFunctionNames").EnumerateArray().Select(n => n.GetString()));
        }
    }

    [Fact]
    public void Tool_calls_and_tool_results_become_function_call_and_function_response_parts()
    {
        var (body, _) = Translate("""
            {"model":"m","messages":[
              {"role":"user","content":"Weather in Paris and Rome?"},
              {"role":"assistant","content":null,"tool_calls":[
                {"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},
                {"id":"call_2","type":"function","function":{"name":"get_time","arguments":"{}"}}]},
              {"role":"tool","tool_call_id":"call_1","content":"{\"temp\":18}"},
              {"role":"tool","tool_call_id":"call_2","content":"noon"}]}
            """);

        var contents = body.GetProperty("contents");
        Assert.Equal(["user", "model", "user"], contents.EnumerateArray().Select(c => c.Str("role")));
        var call = contents[1].GetProperty("parts")[0].GetProperty("functionCall");
        Assert.Equal("get_weather", call.Str("name"));
        Assert.Equal("Paris", call.GetProperty("args").Str("city"));
        var responses = contents[2].GetProperty("parts");
        Assert.Equal(2, responses.GetArrayLength()); // parallel results share one content
        Assert.Equal("get_weather", responses[0].GetProperty("functionResponse").Str("name"));
        Assert.Equal(18, responses[0].GetProperty("functionResponse").GetProperty("response").GetProperty("temp").GetInt32());
        Assert.Equal("get_time", responses[1].GetProperty("functionResponse").Str("name"));
        Assert.Equal("noon", responses[1].GetProperty("functionResponse").GetProperty("response").Str("content"));
    }

    [Fact]
    public void A_tool_result_for_an_unknown_call_is_a_translation_error()
    {
        var ex = Assert.Throws<RequestTranslationException>(() => Translate("""
            {"model":"m","messages":[{"role":"user","content":"x"},{"role":"tool","tool_call_id":"call_9","content":"r"}]}
            """));
        Assert.Equal("messages[1].tool_call_id", ex.Param);
    }

    [Fact]
    public void Generation_config_carries_every_sampling_field()
    {
        var (body, attempt) = Translate("""
            {"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":300,"max_completion_tokens":200,
             "temperature":0.4,"top_p":0.8,"stop":["END","STOP"],"n":2,"seed":42,"presence_penalty":0.5,"frequency_penalty":0.25}
            """);

        var config = body.GetProperty("generationConfig");
        Assert.Equal(200, config.GetProperty("maxOutputTokens").GetInt32());
        Assert.Equal(0.4, config.GetProperty("temperature").GetDouble());
        Assert.Equal(0.8, config.GetProperty("topP").GetDouble());
        Assert.Equal(["END", "STOP"], config.GetProperty("stopSequences").EnumerateArray().Select(s => s.GetString()));
        Assert.Equal(2, config.GetProperty("candidateCount").GetInt32());
        Assert.Equal(42, config.GetProperty("seed").GetInt32());
        Assert.Equal(0.5, config.GetProperty("presencePenalty").GetDouble());
        Assert.Equal(0.25, config.GetProperty("frequencyPenalty").GetDouble());
        Assert.Empty(attempt.Warnings.Items);
    }

    [Fact]
    public void Json_object_asks_for_json_and_json_schema_adds_the_sanitised_schema()
    {
        var (jsonObject, _) = Translate("""{"model":"m","messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_object"}}""");
        Assert.Equal("application/json", jsonObject.GetProperty("generationConfig").Str("responseMimeType"));
        Assert.False(jsonObject.GetProperty("generationConfig").TryGetProperty("responseSchema", out _));

        var (jsonSchema, attempt) = Translate("""
            {"model":"m","messages":[{"role":"user","content":"x"}],
             "response_format":{"type":"json_schema","json_schema":{"name":"r","strict":true,
               "schema":{"type":"object","additionalProperties":false,"properties":{"answer":{"type":"string"}},"required":["answer"]}}}}
            """);
        var config = jsonSchema.GetProperty("generationConfig");
        Assert.Equal("application/json", config.Str("responseMimeType"));
        Assert.Equal("string", config.GetProperty("responseSchema").GetProperty("properties").GetProperty("answer").Str("type"));
        Assert.False(config.GetProperty("responseSchema").TryGetProperty("additionalProperties", out _));
        Assert.Empty(attempt.Warnings.Items);
    }

    [Fact]
    public void Anthropic_thinking_user_and_logprobs_are_dropped_with_warnings()
    {
        var (body, attempt) = Translate("""
            {"model":"m","messages":[{"role":"user","content":"x"}],"thinking":{"type":"enabled","budget_tokens":1024},
             "user":"u1","logprobs":true,"parallel_tool_calls":false}
            """);

        Assert.Contains("gemini: dropped 'thinking'", attempt.Warnings.Items);
        Assert.Contains("gemini: dropped 'user'", attempt.Warnings.Items);
        Assert.Contains("gemini: dropped 'logprobs'", attempt.Warnings.Items);
        Assert.Contains("gemini: dropped 'parallel_tool_calls'", attempt.Warnings.Items);
        Assert.DoesNotContain("thinking", body.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public void Audio_and_pdf_parts_become_inline_data()
    {
        var (body, _) = Translate("""
            {"model":"m","messages":[{"role":"user","content":[
              {"type":"input_audio","input_audio":{"data":"UklGRg==","format":"wav"}},
              {"type":"file","file":{"filename":"a.pdf","file_data":"data:application/pdf;base64,JVBERi0="}}]}]}
            """);

        var parts = body.GetProperty("contents")[0].GetProperty("parts");
        Assert.Equal("audio/wav", parts[0].GetProperty("inlineData").Str("mimeType"));
        Assert.Equal("application/pdf", parts[1].GetProperty("inlineData").Str("mimeType"));
        Assert.Equal("JVBERi0=", parts[1].GetProperty("inlineData").Str("data"));
    }
}
