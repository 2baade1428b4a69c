using System.Net;
using System.Text;
using System.Text.Json;
using Switchboard.Simulator.Tests.Infrastructure;

namespace Switchboard.Simulator.Tests.Gemini;

// Gemini has no official .NET SDK among our packages: answers are compared with recorded reference payloads.
[Collection(SimulatorCollection.Name)]
public sealed class GeminiWireTests(SimulatorServer server)
{
    private const string Prompt = """{"contents":[{"role":"user","parts":[{"text":"Write a story about a magic backpack."}]}]}""";

    private static JsonElement Recorded(string name)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Recorded", name)));
        return document.RootElement.Clone();
    }

    private async Task<HttpResponseMessage> PostAsync(string path, string body, string? key = "sim-gemini")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (key is not null)
        {
            request.Headers.Add("x-goog-api-key", key);
        }

        return await server.Http.SendAsync(request);
    }

    [Fact]
    public async Task GenerateContent_matches_the_reference_payload_field_by_field()
    {
        var provider = await server.ProviderAsync("gemini", new { outputTokens = 15 });

        using var response = await PostAsync($"/{provider}/v1beta/models/gemini-2.0-flash:generateContent", Prompt);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Empty(JsonShape.Differences(Recorded("gemini-generate-content.json"), json.RootElement));
        var candidate = json.RootElement.GetProperty("candidates")[0];
        Assert.Equal("model", candidate.GetProperty("content").GetProperty("role").GetString());
        Assert.Equal("STOP", candidate.GetProperty("finishReason").GetString());
        var usage = json.RootElement.GetProperty("usageMetadata");
        Assert.Equal(15, usage.GetProperty("candidatesTokenCount").GetInt32());
        Assert.Equal(usage.GetProperty("promptTokenCount").GetInt32() + 15, usage.GetProperty("totalTokenCount").GetInt32());
        Assert.Equal("gemini-2.0-flash", json.RootElement.GetProperty("modelVersion").GetString());
    }

    [Fact]
    public async Task StreamGenerateContent_sse_chunks_match_the_reference_and_add_up_to_the_whole_answer()
    {
        var provider = await server.ProviderAsync("gemini", new { outputTokens = 8 });

        using var response = await PostAsync($"/{provider}/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse", Prompt);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        Assert.EndsWith("\r\n\r\n", body, StringComparison.Ordinal);
        var chunks = Sse.Parse(body, "\r\n\r\n");
        Assert.Equal(8, chunks.Count);
        var text = new StringBuilder();
        foreach (var (chunk, i) in chunks.Select((c, i) => (c, i)))
        {
            using var json = JsonDocument.Parse(chunk.Data);
            Assert.Empty(JsonShape.Differences(Recorded("gemini-stream-chunk.json"), json.RootElement));
            var candidate = json.RootElement.GetProperty("candidates")[0];
            text.Append(candidate.GetProperty("content").GetProperty("parts")[0].GetProperty("text").GetString());
            Assert.Equal(i + 1, json.RootElement.GetProperty("usageMetadata").GetProperty("candidatesTokenCount").GetInt32());
            Assert.Equal(i == chunks.Count - 1, candidate.TryGetProperty("finishReason", out _));
        }

        using var whole = await PostAsync($"/{provider}/v1/models/gemini-2.0-flash:generateContent", Prompt);
        using var wholeJson = JsonDocument.Parse(await whole.Content.ReadAsStringAsync());
        Assert.Equal(wholeJson.RootElement.GetProperty("candidates")[0].GetProperty("content").GetProperty("parts")[0].GetProperty("text").GetString(), text.ToString());
    }

    [Fact]
    public async Task StreamGenerateContent_without_alt_sse_streams_a_json_array()
    {
        var provider = await server.ProviderAsync("gemini", new { outputTokens = 4 });

        using var response = await PostAsync($"/{provider}/v1beta/models/gemini-2.0-flash:streamGenerateContent", Prompt);

        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(4, json.RootElement.GetArrayLength());
    }

    [Fact]
    public async Task Function_calling_mode_any_answers_a_function_call_matching_the_reference()
    {
        var provider = await server.ProviderAsync("gemini");
        const string body = """
            {"contents":[{"role":"user","parts":[{"text":"Which theaters in Mountain View show Barbie?"}]}],
             "tools":[{"functionDeclarations":[{"name":"find_theaters","description":"find theaters","parameters":{"type":"OBJECT","properties":{"location":{"type":"STRING"},"movie":{"type":"STRING"}},"required":["location","movie"]}}]}],
             "toolConfig":{"functionCallingConfig":{"mode":"ANY"}}}
            """;

        using var response = await PostAsync($"/{provider}/v1beta/models/gemini-2.0-flash:generateContent", body);

        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Empty(JsonShape.Differences(Recorded("gemini-function-call.json"), json.RootElement));
        var call = json.RootElement.GetProperty("candidates")[0].GetProperty("content").GetProperty("parts")[0].GetProperty("functionCall");
        Assert.Equal("find_theaters", call.GetProperty("name").GetString());
        Assert.Equal(JsonValueKind.String, call.GetProperty("args").GetProperty("movie").ValueKind);
    }

    [Fact]
    public async Task Json_response_mime_type_with_a_schema_answers_matching_json()
    {
        var provider = await server.ProviderAsync("gemini");
        const string body = """
            {"contents":[{"parts":[{"text":"List a recipe"}]}],
             "generationConfig":{"responseMimeType":"application/json","responseSchema":{"type":"ARRAY","items":{"type":"OBJECT","properties":{"recipeName":{"type":"STRING"},"minutes":{"type":"INTEGER"}},"required":["recipeName"]}}}}
            """;

        using var response = await PostAsync($"/{provider}/v1beta/models/gemini-2.0-flash:generateContent", body);

        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        using var answer = JsonDocument.Parse(json.RootElement.GetProperty("candidates")[0].GetProperty("content").GetProperty("parts")[0].GetProperty("text").GetString()!);
        Assert.Equal(JsonValueKind.String, answer.RootElement[0].GetProperty("recipeName").ValueKind);
    }

    [Fact]
    public async Task The_key_may_come_as_a_query_parameter_and_is_required()
    {
        var provider = await server.ProviderAsync("gemini", new { apiKey = "right-key" });

        using var viaQuery = await PostAsync($"/{provider}/v1beta/models/gemini-2.0-flash:generateContent?key=right-key", Prompt, key: null);
        using var missing = await PostAsync($"/{provider}/v1beta/models/gemini-2.0-flash:generateContent", Prompt, key: null);
        using var wrong = await PostAsync($"/{provider}/v1beta/models/gemini-2.0-flash:generateContent", Prompt, key: "wrong");

        Assert.Equal(HttpStatusCode.OK, viaQuery.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, missing.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
        using var error = JsonDocument.Parse(await wrong.Content.ReadAsStringAsync());
        Assert.Empty(JsonShape.Differences(Recorded("gemini-error.json"), error.RootElement));
        Assert.Equal("INVALID_ARGUMENT", error.RootElement.GetProperty("error").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Rate_limited_requests_get_resource_exhausted_with_retry_info()
    {
        var provider = await server.ProviderAsync("gemini", new { requestsPerMinute = 1 });
        using var first = await PostAsync($"/{provider}/v1beta/models/gemini-2.0-flash:generateContent", Prompt);

        using var second = await PostAsync($"/{provider}/v1beta/models/gemini-2.0-flash:generateContent", Prompt);

        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        Assert.NotNull(second.Headers.RetryAfter);
        using var error = JsonDocument.Parse(await second.Content.ReadAsStringAsync());
        Assert.Equal("RESOURCE_EXHAUSTED", error.RootElement.GetProperty("error").GetProperty("status").GetString());
        Assert.Equal("type.googleapis.com/google.rpc.RetryInfo", error.RootElement.GetProperty("error").GetProperty("details")[0].GetProperty("@type").GetString());
    }

    [Fact]
    public async Task An_unknown_provider_is_a_404_in_gemini_shape()
    {
        using var response = await PostAsync("/nosuch/v1beta/models/gemini-2.0-flash:generateContent", Prompt);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        using var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("NOT_FOUND", error.RootElement.GetProperty("error").GetProperty("status").GetString());
    }
}
