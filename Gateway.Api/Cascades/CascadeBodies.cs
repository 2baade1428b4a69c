using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Switchboard.Gateway.Providers;

namespace Switchboard.Gateway.Cascades;

/// <summary>
/// The request and response bodies a cascade rewrites: tier requests are asked without streaming (an answer is
/// scored whole before anything reaches the client); log probabilities the client did not ask for are removed
/// from the answer; a held answer is replayed as a Chat Completions stream.
/// </summary>
internal static class CascadeBodies
{
    public static JsonObject Parse(ChatRequest request) => JsonNode.Parse(request.Body.Span)!.AsObject();

    /// <summary>The client's request as a tier (or a scorer) sends it: never streamed, usage always reported.</summary>
    public static JsonObject ForTier(JsonObject client, bool logprobs)
    {
        var body = (JsonObject)client.DeepClone();
        body.Remove("stream");
        body.Remove("stream_options");
        if (logprobs && body["logprobs"] is null)
        {
            body["logprobs"] = true;
        }
        return body;
    }

    public static ChatRequest ToRequest(JsonObject body)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            body.WriteTo(writer);
        }
        var bytes = buffer.WrittenMemory.ToArray();
        return new ChatRequest(bytes, JsonDocument.Parse(bytes));
    }

    public static bool ClientWantsLogprobs(ChatRequest client) =>
        client.Root.TryGetProperty("logprobs", out var l) && l.ValueKind == JsonValueKind.True;

    /// <summary>The answer for the client: as it came, or with every choice's logprobs set to null.</summary>
    public static ReadOnlyMemory<byte> ForClient(ReadOnlyMemory<byte> completion, bool keepLogprobs)
    {
        if (keepLogprobs || completion.Span.IndexOf("\"logprobs\""u8) < 0)
        {
            return completion;
        }
        if (JsonNode.Parse(completion.Span) is not JsonObject root || root["choices"] is not JsonArray choices)
        {
            return completion;
        }
        foreach (var choice in choices)
        {
            if (choice is JsonObject c && c.ContainsKey("logprobs"))
            {
                c["logprobs"] = null;
            }
        }
        var buffer = new ArrayBufferWriter<byte>(completion.Length);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            root.WriteTo(writer);
        }
        return buffer.WrittenMemory;
    }

    /// <summary>
    /// A whole <c>chat.completion</c> as <c>chat.completion.chunk</c> SSE frames: per choice one chunk with the
    /// role, content and tool calls, one with the finish reason; the usage chunk when the client asked for it;
    /// <c>[DONE]</c>.
    /// </summary>
    public static void WriteReplay(ReadOnlySpan<byte> completion, bool includeUsage, bool keepLogprobs, IBufferWriter<byte> output)
    {
        using var document = JsonDocument.Parse(completion.ToArray());
        var root = document.RootElement;
        var id = root.TryGetProperty("id", out var i) && i.ValueKind == JsonValueKind.String ? i.GetString() : "chatcmpl-cascade";
        var created = root.TryGetProperty("created", out var c) && c.TryGetInt64(out var cv) ? cv : 0;
        var model = root.TryGetProperty("model", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : "";
        if (root.TryGetProperty("choices", out var choices) && choices.ValueKind == JsonValueKind.Array)
        {
            foreach (var choice in choices.EnumerateArray())
            {
                var index = choice.TryGetProperty("index", out var ix) && ix.TryGetInt32(out var iv) ? iv : 0;
                Frame(output, id, created, model, w =>
                {
                    w.WriteStartArray("choices");
                    w.WriteStartObject();
                    w.WriteNumber("index", index);
                    w.WriteStartObject("delta");
                    w.WriteString("role", "assistant");
                    if (choice.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.Object)
                    {
                        foreach (var field in message.EnumerateObject())
                        {
                            if (field.NameEquals("content") || field.NameEquals("refusal") || field.NameEquals("reasoning_content"))
                            {
                                field.WriteTo(w);
                            }
                            else if (field.NameEquals("tool_calls") && field.Value.ValueKind == JsonValueKind.Array)
                            {
                                WriteToolCalls(w, field.Value);
                            }
                        }
                    }
                    w.WriteEndObject();
                    if (keepLogprobs && choice.TryGetProperty("logprobs", out var logprobs))
                    {
                        w.WritePropertyName("logprobs");
                        logprobs.WriteTo(w);
                    }
                    else
                    {
                        w.WriteNull("logprobs");
                    }
                    w.WriteNull("finish_reason");
                    w.WriteEndObject();
                    w.WriteEndArray();
                });
                var finish = choice.TryGetProperty("finish_reason", out var f) && f.ValueKind == JsonValueKind.String ? f.GetString() : "stop";
                Frame(output, id, created, model, w =>
                {
                    w.WriteStartArray("choices");
                    w.WriteStartObject();
                    w.WriteNumber("index", index);
                    w.WriteStartObject("delta");
                    w.WriteEndObject();
                    w.WriteNull("logprobs");
                    w.WriteString("finish_reason", finish);
                    w.WriteEndObject();
                    w.WriteEndArray();
                });
            }
        }
        if (includeUsage && root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
        {
            Frame(output, id, created, model, w =>
            {
                w.WriteStartArray("choices");
                w.WriteEndArray();
                w.WritePropertyName("usage");
                usage.WriteTo(w);
            });
        }
        output.Write("data: [DONE]\n\n"u8);
    }

    private static void WriteToolCalls(Utf8JsonWriter w, JsonElement calls)
    {
        w.WriteStartArray("tool_calls");
        var k = 0;
        foreach (var call in calls.EnumerateArray())
        {
            w.WriteStartObject();
            w.WriteNumber("index", k++);
            foreach (var field in call.EnumerateObject())
            {
                if (!field.NameEquals("index"))
                {
                    field.WriteTo(w);
                }
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    private static void Frame(IBufferWriter<byte> output, string? id, long created, string? model, Action<Utf8JsonWriter> body)
    {
        output.Write("data: "u8);
        using (var w = new Utf8JsonWriter(output))
        {
            w.WriteStartObject();
            w.WriteString("id", id);
            w.WriteString("object", "chat.completion.chunk");
            w.WriteNumber("created", created);
            w.WriteString("model", model);
            body(w);
            w.WriteEndObject();
        }
        output.Write("\n\n"u8);
    }
}
