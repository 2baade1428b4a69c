using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Switchboard.Simulator.Tests.Infrastructure;

namespace Switchboard.Simulator.Tests.Robustness;

// A request the simulator cannot serve is the client's error: every malformed body gets a 4xx in the protocol's own
// error shape, never a 500 from deep inside answer generation. A seeded fuzz pass mutates valid requests of each
// protocol (values of the wrong type, missing fields, hostile schemas) and checks every answer.
[Collection(SimulatorCollection.Name)]
public sealed class MalformedRequestTests(SimulatorServer server)
{
    private const string Schema = """{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"array","items":{"type":"integer"}},"c":{"enum":["x","y"]},"d":{"$ref":"#/$defs/d"}},"required":["a"],"$defs":{"d":{"type":"number","minimum":2}}}""";
    private const string Parameters = """{"type":"object","properties":{"q":{"type":"string"}},"required":["q"]}""";

    private static readonly string OpenAiBody = $$$"""
        {"model":"gpt-4o-2024-08-06","messages":[{"role":"system","content":"s"},{"role":"user","content":[{"type":"text","text":"hi"}]}],
         "max_tokens":10,"n":2,"stream":false,"stream_options":{"include_usage":true},
         "tools":[{"type":"function","function":{"name":"f","description":"d","parameters":{{{Parameters}}}}}],"tool_choice":"auto",
         "response_format":{"type":"json_schema","json_schema":{"name":"x","schema":{{{Schema}}}}},"logprobs":true,"top_logprobs":2,"stop":["x"]}
        """;

    private static readonly string AnthropicBody = $$$"""
        {"model":"claude-3-5-sonnet-20241022","max_tokens":10,"system":[{"type":"text","text":"s"}],
         "messages":[{"role":"user","content":[{"type":"text","text":"hi"}]},
                     {"role":"assistant","content":[{"type":"tool_use","id":"t","name":"f","input":{"q":"x"}}]},
                     {"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":"ok"}]}],
         "tools":[{"name":"f","description":"d","input_schema":{{{Parameters}}}}],"tool_choice":{"type":"auto"},"stream":false,
         "thinking":{"type":"enabled","budget_tokens":1024},"stop_sequences":["x"]}
        """;

    private static readonly string GeminiBody = $$$"""
        {"contents":[{"role":"user","parts":[{"text":"hi"}]}],"systemInstruction":{"parts":[{"text":"s"}]},
         "tools":[{"functionDeclarations":[{"name":"f","description":"d","parameters":{{{Parameters}}}}]}],
         "generationConfig":{"maxOutputTokens":10,"candidateCount":1,"responseMimeType":"application/json","responseSchema":{{{Schema}}},"stopSequences":["x"]}}
        """;

    private static readonly Func<JsonNode?>[] HostileValues =
    [
        () => -453, () => 0, () => 1e308, () => -1, () => long.MaxValue, () => "x", () => "", () => new JsonArray(), () => new JsonObject(),
        () => null, () => true, () => false, () => new JsonArray(1, "a", null), () => new JsonObject { ["type"] = -453 },
        () => new JsonObject { ["a"] = new JsonObject { ["b"] = new JsonArray() } }, () => "\0", () => 3.5, () => new string('a', 5000),
        () => new JsonObject { ["type"] = "object", ["properties"] = new JsonArray() }, () => new JsonObject { ["$ref"] = 7 },
    ];

    [Theory]
    [InlineData("openai")]
    [InlineData("anthropic")]
    [InlineData("gemini")]
    public async Task Broken_schemas_are_refused_with_400_naming_the_place(string type)
    {
        var provider = await server.ProviderAsync(type);
        var body = JsonNode.Parse(Body(type))!;
        var schema = type switch
        {
            "openai" => body["response_format"]!["json_schema"]!["schema"]!,
            "anthropic" => body["tools"]![0]!["input_schema"]!,
            _ => body["generationConfig"]!["responseSchema"]!,
        };
        schema["properties"]!["q"] = new JsonObject { ["type"] = -453 };

        using var response = await SendAsync(type, provider, body.ToJsonString(), stream: false);
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("properties.q.type", text, StringComparison.Ordinal);
        AssertErrorShape(type, text);
    }

    [Theory]
    [InlineData("openai", 1)]
    [InlineData("anthropic", 2)]
    [InlineData("gemini", 3)]
    public async Task Mutated_requests_never_get_a_server_error(string type, int seed)
    {
        var provider = await server.ProviderAsync(type, new { outputTokens = 4 });
        var random = new Random(seed);
        var seen = new Dictionary<int, int>();
        for (var i = 0; i < 300; i++)
        {
            var body = JsonNode.Parse(Body(type))!;
            var stream = random.Next(2) == 0;
            if (type != "gemini")
            {
                body["stream"] = stream;
            }

            for (var m = random.Next(1, 4); m > 0; m--)
            {
                body = Mutate(body, random);
            }

            var text = body?.ToJsonString() ?? "null";
            using var response = await SendAsync(type, provider, text, stream);
            var answer = await response.Content.ReadAsStringAsync();
            var status = (int)response.StatusCode;
            seen[status] = seen.GetValueOrDefault(status) + 1;
            Assert.True(status is 200 or (>= 400 and < 500), $"{status} for {text}\n{answer}");
            if (status >= 400)
            {
                AssertErrorShape(type, answer);
            }
        }

        // The pass means something only if it hit both sides: answers and refusals.
        Assert.True(seen.GetValueOrDefault(200) > 10, string.Join(", ", seen));
        Assert.True(seen.GetValueOrDefault(400) > 10, string.Join(", ", seen));
    }

    // The body is read from the request pipe as it arrives: one far larger than Kestrel's 1 MB request buffer, and one
    // sent chunked (no Content-Length), are answered in full with every character counted in the prompt.
    [Theory]
    [InlineData(3_000_000, false)]
    [InlineData(200_000, true)]
    public async Task Large_and_chunked_bodies_are_read_whole(int characters, bool chunked)
    {
        var provider = await server.ProviderAsync("openai", new { outputTokens = 3 });
        var text = new string('a', characters);
        var json = JsonSerializer.Serialize(new { model = "gpt-4o-mini", messages = new[] { new { role = "user", content = text } } });
        HttpContent content = chunked
            ? new StreamContent(new NoLengthStream(Encoding.UTF8.GetBytes(json)))
            : new StringContent(json, Encoding.UTF8, "application/json");
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/{provider}/v1/chat/completions") { Content = content };
        request.Headers.Add("Authorization", "Bearer sk-sim");
        if (chunked)
        {
            request.Headers.TransferEncodingChunked = true;
        }

        using var response = await server.Http.SendAsync(request);
        var answer = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var document = JsonDocument.Parse(answer);
        // The documented count: ceil(characters / 4) + 4 per message.
        Assert.Equal((characters + 3) / 4 + 4, document.RootElement.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
    }

    // A stream whose length is unknown, so HttpClient has to send it chunked, in small writes.
    private sealed class NoLengthStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;

        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, 8192));

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, 8192)], cancellationToken);
    }

    private static string Body(string type) => type switch
    {
        "openai" => OpenAiBody,
        "anthropic" => AnthropicBody,
        _ => GeminiBody,
    };

    private async Task<HttpResponseMessage> SendAsync(string type, string provider, string body, bool stream)
    {
        var path = type switch
        {
            "openai" => $"/{provider}/v1/chat/completions",
            "anthropic" => $"/{provider}/v1/messages",
            _ => stream ? $"/{provider}/v1beta/models/gemini-1.5-pro-002:streamGenerateContent?alt=sse" : $"/{provider}/v1beta/models/gemini-1.5-pro-002:generateContent",
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        switch (type)
        {
            case "openai":
                request.Headers.Add("Authorization", "Bearer sk-sim");
                break;
            case "anthropic":
                request.Headers.Add("x-api-key", "sk-sim");
                request.Headers.Add("anthropic-version", "2023-06-01");
                break;
            default:
                request.Headers.Add("x-goog-api-key", "sim");
                break;
        }

        return await server.Http.SendAsync(request);
    }

    // Replaces one random node of the tree by a hostile value, or drops a property.
    private static JsonNode? Mutate(JsonNode? root, Random random)
    {
        var nodes = new List<JsonNode>();
        Collect(root, nodes);
        if (nodes.Count == 0)
        {
            return root;
        }

        var target = nodes[random.Next(nodes.Count)];
        var replacement = HostileValues[random.Next(HostileValues.Length)]();
        if (target == root)
        {
            return random.Next(4) == 0 ? replacement : root;
        }

        switch (target.Parent)
        {
            case JsonObject parent:
                var name = target.GetPropertyName();
                if (random.Next(6) == 0)
                {
                    parent.Remove(name);
                }
                else
                {
                    parent[name] = replacement;
                }

                break;
            case JsonArray array:
                array[target.GetElementIndex()] = replacement;
                break;
        }

        return root;
    }

    private static void Collect(JsonNode? node, List<JsonNode> into)
    {
        if (node is null)
        {
            return;
        }

        into.Add(node);
        switch (node)
        {
            case JsonObject obj:
                foreach (var (_, child) in obj)
                {
                    Collect(child, into);
                }

                break;
            case JsonArray array:
                foreach (var child in array)
                {
                    Collect(child, into);
                }

                break;
        }
    }

    private static void AssertErrorShape(string type, string body)
    {
        using var document = JsonDocument.Parse(body);
        var error = document.RootElement.GetProperty("error");
        switch (type)
        {
            case "anthropic":
                Assert.Equal("error", document.RootElement.GetProperty("type").GetString());
                Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
                break;
            case "gemini":
                Assert.True(error.GetProperty("code").GetInt32() >= 400);
                Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
                break;
            default:
                Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
                Assert.Equal(JsonValueKind.String, error.GetProperty("type").ValueKind);
                break;
        }
    }
}
