using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Switchboard.Simulator.Generation;
using Switchboard.Simulator.Profiles;
using Switchboard.Simulator.Serving;
using Switchboard.Simulator.Wire;

namespace Switchboard.Simulator.Anthropic;

// Anthropic Messages API.
internal sealed class AnthropicDialect : Dialect
{
    public override string Type => ProviderTypes.Anthropic;
    public override string IdPrefix => "msg_";

    public override ReadOnlySpan<byte> MalformedEvent =>
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"unterminated\n\n"u8;

    public override Refusal? CheckHeaders(HttpRequest request, ProviderProfile profile)
    {
        var key = Header(request, "x-api-key") ?? BearerToken(request);
        if (string.IsNullOrEmpty(key))
        {
            return new Refusal(401, "x-api-key header is required");
        }

        if (profile.ApiKey is not null && key != profile.ApiKey)
        {
            return new Refusal(401, "invalid x-api-key");
        }

        return Header(request, "anthropic-version") is null ? new Refusal(400, "anthropic-version: header is required") : null;
    }

    public override Refusal? Read(JsonElement body, HttpContext context, GenerationRequest into)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            return new Refusal(400, "The request body must be a JSON object.");
        }

        var model = Json.String(body, "model");
        if (string.IsNullOrEmpty(model))
        {
            return new Refusal(400, "model: Field required");
        }

        if (Json.Int(body, "max_tokens") is not { } maxTokens)
        {
            return new Refusal(400, "max_tokens: Field required");
        }

        if (maxTokens < 1)
        {
            return new Refusal(400, "max_tokens: Input should be greater than or equal to 1");
        }

        if (Json.Element(body, "messages") is not { ValueKind: JsonValueKind.Array } messages || messages.GetArrayLength() == 0)
        {
            return new Refusal(400, "messages: at least one message is required");
        }

        into.Model = model;
        into.MaxTokens = maxTokens;
        into.Stream = Json.Bool(body, "stream");
        var prompt = new PromptMeasure();
        if (Json.Element(body, "system") is { } system)
        {
            prompt.AddText(ContentText(system));
        }

        foreach (var message in messages.EnumerateArray())
        {
            prompt.AddMessage();
            var text = ContentText(Json.Element(message, "content"));
            prompt.AddText(text);
            if (Json.String(message, "role") == "user")
            {
                into.LastUserText = text;
            }
        }

        if (Json.Element(body, "tools") is { ValueKind: JsonValueKind.Array } tools)
        {
            prompt.ToolCharacters = tools.GetRawText().Length;
            foreach (var tool in tools.EnumerateArray())
            {
                if (Json.String(tool, "name") is { } name)
                {
                    into.Tools.Add(new ToolSpec(name, Json.Element(tool, "input_schema")));
                }
            }
        }

        into.Prompt = prompt;
        if (Json.Element(body, "tool_choice") is { } choice)
        {
            switch (Json.String(choice, "type"))
            {
                case "any":
                    into.ToolMode = ToolMode.Required;
                    break;
                case "tool":
                    into.ToolMode = ToolMode.Required;
                    into.ForcedTool = Json.String(choice, "name");
                    break;
                case "none":
                    into.ToolMode = ToolMode.None;
                    break;
            }
        }

        if (Json.Element(body, "thinking") is { } thinking && Json.String(thinking, "type") is "enabled" or "adaptive")
        {
            into.ThinkingBudget = Json.Int(thinking, "budget_tokens") ?? 1024;
        }

        // Structured outputs: {"output_config": {"format": {"type": "json_schema", "schema": {...}}}} (and the older
        // beta spelling {"output_format": {...}}).
        var format = Json.Element(body, "output_config") is { } config ? Json.Element(config, "format") : Json.Element(body, "output_format");
        if (format is { } f && Json.String(f, "type") == "json_schema")
        {
            into.Format = OutputFormat.JsonSchema;
            into.Schema = Json.Element(f, "schema");
        }

        return null;
    }

    private static string ContentText(JsonElement? content)
    {
        switch (content)
        {
            case { ValueKind: JsonValueKind.String } s:
                return s.GetString() ?? "";
            case { ValueKind: JsonValueKind.Array } blocks:
                var builder = new StringBuilder();
                foreach (var block in blocks.EnumerateArray())
                {
                    if (Json.String(block, "text") is { } text)
                    {
                        builder.Append(text);
                    }
                    else if (Json.Element(block, "content") is { } nested)
                    {
                        builder.Append(ContentText(nested));
                    }
                }

                return builder.ToString();
            default:
                return "";
        }
    }

    public override void AddHeaders(HttpResponse response, in RateSnapshot rate)
    {
        var headers = response.Headers;
        headers["request-id"] = RequestId();
        var reset = rate.ResetAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        headers["anthropic-ratelimit-requests-limit"] = Json.Invariant(rate.RequestLimit);
        headers["anthropic-ratelimit-requests-remaining"] = Json.Invariant(rate.RequestsRemaining);
        headers["anthropic-ratelimit-requests-reset"] = reset;
        headers["anthropic-ratelimit-tokens-limit"] = Json.Invariant(rate.TokenLimit);
        headers["anthropic-ratelimit-tokens-remaining"] = Json.Invariant(rate.TokensRemaining);
        headers["anthropic-ratelimit-tokens-reset"] = reset;
        headers["anthropic-ratelimit-input-tokens-limit"] = Json.Invariant(rate.TokenLimit);
        headers["anthropic-ratelimit-input-tokens-remaining"] = Json.Invariant(rate.TokensRemaining);
        headers["anthropic-ratelimit-input-tokens-reset"] = reset;
        headers["anthropic-ratelimit-output-tokens-limit"] = Json.Invariant(rate.TokenLimit);
        headers["anthropic-ratelimit-output-tokens-remaining"] = Json.Invariant(rate.TokensRemaining);
        headers["anthropic-ratelimit-output-tokens-reset"] = reset;
    }

    public override void WriteError(IBufferWriter<byte> output, int status, string message)
    {
        using var w = Json.Writer(output);
        WriteErrorObject(w, ErrorType(status), message);
    }

    private static void WriteErrorObject(Utf8JsonWriter w, string type, string message)
    {
        w.WriteStartObject();
        w.WriteString("type", "error");
        w.WriteStartObject("error");
        w.WriteString("type", type);
        w.WriteString("message", message);
        w.WriteEndObject();
        w.WriteString("request_id", RequestId());
        w.WriteEndObject();
    }

    internal static string ErrorType(int status) => status switch
    {
        400 => "invalid_request_error",
        401 => "authentication_error",
        402 => "billing_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        504 => "timeout_error",
        529 or 503 => "overloaded_error",
        >= 500 => "api_error",
        _ => "invalid_request_error",
    };

    public override void WriteStreamError(IBufferWriter<byte> output, string message)
    {
        output.Write("event: error\n"u8);
        Json.SseData(output, w => WriteErrorObject(w, "overloaded_error", message));
    }

    public override void WriteBody(IBufferWriter<byte> output, Answer answer, GenerationRequest request)
    {
        var choice = answer.Choices[0];
        using var w = Json.Writer(output);
        w.WriteStartObject();
        w.WriteString("id", answer.Id);
        w.WriteString("type", "message");
        w.WriteString("role", "assistant");
        w.WriteString("model", answer.Model);
        w.WriteStartArray("content");
        if (choice.Thinking.Length > 0)
        {
            w.WriteStartObject();
            w.WriteString("type", "thinking");
            Json.WriteConcatenated(w, "thinking", choice.Thinking);
            w.WriteString("signature", Signature(answer));
            w.WriteEndObject();
        }

        if (choice.Tool is { } tool)
        {
            w.WriteStartObject();
            w.WriteString("type", "tool_use");
            w.WriteString("id", ToolId(tool));
            w.WriteString("name", tool.Name);
            w.WritePropertyName("input");
            w.WriteRawValue(tool.Arguments, skipInputValidation: true);
            w.WriteEndObject();
        }
        else
        {
            w.WriteStartObject();
            w.WriteString("type", "text");
            Json.WriteConcatenated(w, "text", choice.Pieces);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteString("stop_reason", StopReason(choice.Finish));
        w.WriteNull("stop_sequence");
        WriteUsage(w, answer.PromptTokens, answer.OutputTokens);
        w.WriteEndObject();
    }

    public override IEnumerable<int> WriteStream(IBufferWriter<byte> output, Answer answer, GenerationRequest request)
    {
        var choice = answer.Choices[0];
        yield return 0;
        Event(output, "message_start", w =>
        {
            w.WriteStartObject("message");
            w.WriteString("id", answer.Id);
            w.WriteString("type", "message");
            w.WriteString("role", "assistant");
            w.WriteString("model", answer.Model);
            w.WriteStartArray("content");
            w.WriteEndArray();
            w.WriteNull("stop_reason");
            w.WriteNull("stop_sequence");
            // As the real API does: the final count comes in message_delta.
            WriteUsage(w, answer.PromptTokens, 1);
            w.WriteEndObject();
        });

        var token = 0;
        var block = 0;
        if (choice.Thinking.Length > 0)
        {
            BlockStart(output, block, w =>
            {
                w.WriteString("type", "thinking");
                w.WriteString("thinking", "");
            });
            Event(output, "ping", null);
            for (var i = 0; i < choice.Thinking.Length; i++)
            {
                if (token > 0)
                {
                    yield return token;
                }

                var piece = choice.Thinking[i];
                Delta(output, block, w =>
                {
                    w.WriteString("type", "thinking_delta");
                    w.WriteString("thinking", piece);
                });
                token++;
            }

            Delta(output, block, w =>
            {
                w.WriteString("type", "signature_delta");
                w.WriteString("signature", Signature(answer));
            });
            BlockStop(output, block);
            block++;
        }

        if (choice.Tool is { } tool)
        {
            BlockStart(output, block, w =>
            {
                w.WriteString("type", "tool_use");
                w.WriteString("id", ToolId(tool));
                w.WriteString("name", tool.Name);
                w.WriteStartObject("input");
                w.WriteEndObject();
            });
            if (block == 0)
            {
                Event(output, "ping", null);
            }

            for (var i = 0; i < tool.Pieces.Length; i++)
            {
                if (token > 0)
                {
                    yield return token;
                }

                var piece = tool.Pieces[i];
                var index = block;
                Delta(output, index, w =>
                {
                    w.WriteString("type", "input_json_delta");
                    w.WriteString("partial_json", piece);
                });
                token++;
            }
        }
        else
        {
            BlockStart(output, block, w =>
            {
                w.WriteString("type", "text");
                w.WriteString("text", "");
            });
            if (block == 0)
            {
                Event(output, "ping", null);
            }

            for (var i = 0; i < choice.Pieces.Length; i++)
            {
                if (token > 0)
                {
                    yield return token;
                }

                var piece = choice.Pieces[i];
                var index = block;
                Delta(output, index, w =>
                {
                    w.WriteString("type", "text_delta");
                    w.WriteString("text", piece);
                });
                token++;
            }
        }

        BlockStop(output, block);
        Event(output, "message_delta", w =>
        {
            w.WriteStartObject("delta");
            w.WriteString("stop_reason", StopReason(choice.Finish));
            w.WriteNull("stop_sequence");
            w.WriteEndObject();
            w.WriteStartObject("usage");
            w.WriteNumber("output_tokens", answer.OutputTokens);
            w.WriteEndObject();
        });
        Event(output, "message_stop", null);
    }

    private static void Event(IBufferWriter<byte> output, string type, Action<Utf8JsonWriter>? fields)
    {
        output.Write("event: "u8);
        output.Write(Encoding.UTF8.GetBytes(type));
        output.Write("\n"u8);
        Json.SseData(output, w =>
        {
            w.WriteStartObject();
            w.WriteString("type", type);
            fields?.Invoke(w);
            w.WriteEndObject();
        });
    }

    private static void BlockStart(IBufferWriter<byte> output, int index, Action<Utf8JsonWriter> block) =>
        Event(output, "content_block_start", w =>
        {
            w.WriteNumber("index", index);
            w.WriteStartObject("content_block");
            block(w);
            w.WriteEndObject();
        });

    private static void Delta(IBufferWriter<byte> output, int index, Action<Utf8JsonWriter> delta) =>
        Event(output, "content_block_delta", w =>
        {
            w.WriteNumber("index", index);
            w.WriteStartObject("delta");
            delta(w);
            w.WriteEndObject();
        });

    private static void BlockStop(IBufferWriter<byte> output, int index) =>
        Event(output, "content_block_stop", w => w.WriteNumber("index", index));

    private static void WriteUsage(Utf8JsonWriter w, int input, int output)
    {
        w.WriteStartObject("usage");
        w.WriteNumber("input_tokens", input);
        w.WriteNumber("cache_creation_input_tokens", 0);
        w.WriteNumber("cache_read_input_tokens", 0);
        w.WriteStartObject("cache_creation");
        w.WriteNumber("ephemeral_5m_input_tokens", 0);
        w.WriteNumber("ephemeral_1h_input_tokens", 0);
        w.WriteEndObject();
        w.WriteNumber("output_tokens", output);
        w.WriteString("service_tier", "standard");
        w.WriteEndObject();
    }

    private static string ToolId(ToolCall tool) => "toolu_" + tool.Id["call_".Length..];

    private static string Signature(Answer answer) => Convert.ToBase64String(Encoding.UTF8.GetBytes("sim-signature:" + answer.Id));

    private static string StopReason(FinishReason finish) => finish switch
    {
        FinishReason.Length => "max_tokens",
        FinishReason.ToolCalls => "tool_use",
        _ => "end_turn",
    };
}
