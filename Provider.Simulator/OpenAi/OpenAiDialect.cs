using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Switchboard.Simulator.Generation;
using Switchboard.Simulator.Profiles;
using Switchboard.Simulator.Serving;
using Switchboard.Simulator.Wire;

namespace Switchboard.Simulator.OpenAi;

// OpenAI Chat Completions (also what DeepSeek, Qwen and Mistral speak).
internal sealed class OpenAiDialect : Dialect
{
    private const string Fingerprint = "fp_5f2c1a9b7e";

    public override string Type => ProviderTypes.OpenAi;
    public override string IdPrefix => "chatcmpl-";

    public override Refusal? CheckHeaders(HttpRequest request, ProviderProfile profile)
    {
        var key = BearerToken(request) ?? Header(request, "api-key");
        if (string.IsNullOrEmpty(key))
        {
            return new Refusal(401, "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).");
        }

        return profile.ApiKey is not null && key != profile.ApiKey
            ? new Refusal(401, "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.")
            : null;
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
            return new Refusal(400, "you must provide a model parameter");
        }

        if (Json.Element(body, "messages") is not { ValueKind: JsonValueKind.Array } messages || messages.GetArrayLength() == 0)
        {
            return new Refusal(400, "'messages' must contain at least one message.");
        }

        into.Model = model;
        into.Stream = Json.Bool(body, "stream");
        into.IncludeUsage = Json.Element(body, "stream_options") is { } options && Json.Bool(options, "include_usage");
        into.Choices = Json.Int(body, "n") ?? 1;
        if (into.Choices is < 1 or > 128)
        {
            return new Refusal(400, $"Invalid 'n': integer above maximum value. Expected a value between 1 and 128, but got {into.Choices} instead.");
        }

        into.MaxTokens = Json.Int(body, "max_completion_tokens") ?? Json.Int(body, "max_tokens");
        into.Logprobs = Json.Bool(body, "logprobs");
        into.TopLogprobs = Json.Int(body, "top_logprobs") ?? 0;
        if (into.TopLogprobs is < 0 or > 20 || (into.TopLogprobs > 0 && !into.Logprobs))
        {
            return new Refusal(400, "Invalid 'top_logprobs': must be between 0 and 20, and 'logprobs' must be true to use it.");
        }

        var prompt = new PromptMeasure();
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
                if (Json.Element(tool, "function") is { } function && Json.String(function, "name") is { } name)
                {
                    into.Tools.Add(new ToolSpec(name, Json.Element(function, "parameters")));
                }
            }
        }

        into.Prompt = prompt;
        switch (Json.Element(body, "tool_choice"))
        {
            case { ValueKind: JsonValueKind.String } choice:
                into.ToolMode = choice.GetString() switch { "none" => ToolMode.None, "required" => ToolMode.Required, _ => ToolMode.Auto };
                break;
            case { ValueKind: JsonValueKind.Object } choice:
                into.ToolMode = ToolMode.Required;
                into.ForcedTool = Json.Element(choice, "function") is { } f ? Json.String(f, "name") : null;
                break;
        }

        if (Json.Element(body, "response_format") is { } format)
        {
            switch (Json.String(format, "type"))
            {
                case "json_object":
                    into.Format = OutputFormat.JsonObject;
                    break;
                case "json_schema":
                    into.Format = OutputFormat.JsonSchema;
                    into.Schema = Json.Element(format, "json_schema") is { } js ? Json.Element(js, "schema") : null;
                    break;
            }
        }

        return null;
    }

    private static string ContentText(JsonElement? content)
    {
        switch (content)
        {
            case { ValueKind: JsonValueKind.String } s:
                return s.GetString() ?? "";
            case { ValueKind: JsonValueKind.Array } parts:
                var builder = new StringBuilder();
                foreach (var part in parts.EnumerateArray())
                {
                    if (Json.String(part, "text") is { } text)
                    {
                        builder.Append(text);
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
        headers["x-request-id"] = RequestId();
        headers["openai-version"] = "2020-10-01";
        headers["x-ratelimit-limit-requests"] = Json.Invariant(rate.RequestLimit);
        headers["x-ratelimit-limit-tokens"] = Json.Invariant(rate.TokenLimit);
        headers["x-ratelimit-remaining-requests"] = Json.Invariant(rate.RequestsRemaining);
        headers["x-ratelimit-remaining-tokens"] = Json.Invariant(rate.TokensRemaining);
        var reset = GoDuration(rate.ResetIn);
        headers["x-ratelimit-reset-requests"] = reset;
        headers["x-ratelimit-reset-tokens"] = reset;
    }

    // OpenAI writes reset times as Go durations: 12ms, 1.5s, 6m0s.
    internal static string GoDuration(TimeSpan span)
    {
        if (span < TimeSpan.FromSeconds(1))
        {
            return Math.Max(0, (int)span.TotalMilliseconds).ToString(CultureInfo.InvariantCulture) + "ms";
        }

        if (span < TimeSpan.FromMinutes(1))
        {
            return Math.Round(span.TotalSeconds, 3).ToString(CultureInfo.InvariantCulture) + "s";
        }

        return ((int)span.TotalMinutes).ToString(CultureInfo.InvariantCulture) + "m" + span.Seconds.ToString(CultureInfo.InvariantCulture) + "s";
    }

    public override void WriteError(IBufferWriter<byte> output, int status, string message)
    {
        var (type, code) = status switch
        {
            401 => ("invalid_request_error", "invalid_api_key"),
            404 => ("invalid_request_error", "model_not_found"),
            429 => ("requests", "rate_limit_exceeded"),
            >= 500 => ("server_error", null),
            _ => ("invalid_request_error", (string?)null),
        };
        using var w = Json.Writer(output);
        w.WriteStartObject();
        w.WriteStartObject("error");
        w.WriteString("message", message);
        w.WriteString("type", type);
        w.WriteNull("param");
        if (code is null)
        {
            w.WriteNull("code");
        }
        else
        {
            w.WriteString("code", code);
        }

        w.WriteEndObject();
        w.WriteEndObject();
    }

    public override void WriteStreamError(IBufferWriter<byte> output, string message) =>
        Json.SseData(output, w =>
        {
            w.WriteStartObject();
            w.WriteStartObject("error");
            w.WriteString("message", message);
            w.WriteString("type", "server_error");
            w.WriteNull("param");
            w.WriteNull("code");
            w.WriteEndObject();
            w.WriteEndObject();
        });

    public override void WriteBody(IBufferWriter<byte> output, Answer answer, GenerationRequest request)
    {
        using var w = Json.Writer(output);
        w.WriteStartObject();
        w.WriteString("id", answer.Id);
        w.WriteString("object", "chat.completion");
        w.WriteNumber("created", answer.Created);
        w.WriteString("model", answer.Model);
        w.WriteStartArray("choices");
        for (var i = 0; i < answer.Choices.Length; i++)
        {
            var choice = answer.Choices[i];
            w.WriteStartObject();
            w.WriteNumber("index", i);
            w.WriteStartObject("message");
            w.WriteString("role", "assistant");
            if (choice.Tool is { } tool)
            {
                w.WriteNull("content");
                w.WriteNull("refusal");
                w.WriteStartArray("tool_calls");
                w.WriteStartObject();
                w.WriteString("id", tool.Id);
                w.WriteString("type", "function");
                w.WriteStartObject("function");
                w.WriteString("name", tool.Name);
                w.WriteString("arguments", tool.Arguments);
                w.WriteEndObject();
                w.WriteEndObject();
                w.WriteEndArray();
            }
            else
            {
                Json.WriteConcatenated(w, "content", choice.Pieces);
                w.WriteNull("refusal");
            }

            w.WriteStartArray("annotations");
            w.WriteEndArray();
            w.WriteEndObject();
            WriteLogprobs(w, choice, 0, choice.Logprobs?.Length ?? 0);
            w.WriteString("finish_reason", FinishName(choice.Finish));
            w.WriteEndObject();
        }

        w.WriteEndArray();
        WriteUsage(w, answer);
        w.WriteString("service_tier", "default");
        w.WriteString("system_fingerprint", Fingerprint);
        w.WriteEndObject();
    }

    public override IEnumerable<int> WriteStream(IBufferWriter<byte> output, Answer answer, GenerationRequest request)
    {
        var token = 0;
        for (var c = 0; c < answer.Choices.Length; c++)
        {
            var choice = answer.Choices[c];
            yield return token;
            Chunk(output, answer, request, c, w => WriteRoleDelta(w, choice), null, null);
            if (choice.Tool is { } tool)
            {
                for (var i = 0; i < tool.Pieces.Length; i++)
                {
                    if (i > 0)
                    {
                        yield return token;
                    }

                    var piece = tool.Pieces[i];
                    Chunk(output, answer, request, c, w =>
                    {
                        w.WriteStartArray("tool_calls");
                        w.WriteStartObject();
                        w.WriteNumber("index", 0);
                        w.WriteStartObject("function");
                        w.WriteString("arguments", piece);
                        w.WriteEndObject();
                        w.WriteEndObject();
                        w.WriteEndArray();
                    }, null, null);
                    token++;
                }
            }
            else
            {
                for (var i = 0; i < choice.Pieces.Length; i++)
                {
                    if (i > 0)
                    {
                        yield return token;
                    }

                    var piece = choice.Pieces[i];
                    var index = i;
                    Chunk(output, answer, request, c, w => w.WriteString("content", piece), null, choice.Logprobs is null ? null : w => WriteLogprobs(w, choice, index, 1));
                    token++;
                }
            }

            Chunk(output, answer, request, c, static _ => { }, FinishName(choice.Finish), null);
        }

        if (request.IncludeUsage)
        {
            Json.SseData(output, w =>
            {
                ChunkHeader(w, answer);
                w.WriteStartArray("choices");
                w.WriteEndArray();
                WriteUsage(w, answer);
                w.WriteEndObject();
            });
        }

        output.Write("data: [DONE]\n\n"u8);
    }

    private static void WriteRoleDelta(Utf8JsonWriter w, Choice choice)
    {
        w.WriteString("role", "assistant");
        if (choice.Tool is { } tool)
        {
            w.WriteNull("content");
            w.WriteStartArray("tool_calls");
            w.WriteStartObject();
            w.WriteNumber("index", 0);
            w.WriteString("id", tool.Id);
            w.WriteString("type", "function");
            w.WriteStartObject("function");
            w.WriteString("name", tool.Name);
            w.WriteString("arguments", "");
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndArray();
        }
        else
        {
            w.WriteString("content", "");
        }

        w.WriteNull("refusal");
    }

    private static void Chunk(IBufferWriter<byte> output, Answer answer, GenerationRequest request, int index, Action<Utf8JsonWriter> delta, string? finish, Action<Utf8JsonWriter>? logprobs) =>
        Json.SseData(output, w =>
        {
            ChunkHeader(w, answer);
            w.WriteStartArray("choices");
            w.WriteStartObject();
            w.WriteNumber("index", index);
            w.WriteStartObject("delta");
            delta(w);
            w.WriteEndObject();
            if (logprobs is null)
            {
                w.WriteNull("logprobs");
            }
            else
            {
                logprobs(w);
            }

            if (finish is null)
            {
                w.WriteNull("finish_reason");
            }
            else
            {
                w.WriteString("finish_reason", finish);
            }

            w.WriteEndObject();
            w.WriteEndArray();
            if (request.IncludeUsage)
            {
                w.WriteNull("usage");
            }

            w.WriteEndObject();
        });

    private static void ChunkHeader(Utf8JsonWriter w, Answer answer)
    {
        w.WriteStartObject();
        w.WriteString("id", answer.Id);
        w.WriteString("object", "chat.completion.chunk");
        w.WriteNumber("created", answer.Created);
        w.WriteString("model", answer.Model);
        w.WriteString("service_tier", "default");
        w.WriteString("system_fingerprint", Fingerprint);
    }

    private static void WriteLogprobs(Utf8JsonWriter w, Choice choice, int from, int count)
    {
        if (choice.Logprobs is not { } logprobs)
        {
            w.WriteNull("logprobs");
            return;
        }

        w.WriteStartObject("logprobs");
        w.WriteStartArray("content");
        for (var i = from; i < from + count && i < logprobs.Length; i++)
        {
            w.WriteStartObject();
            WriteTokenLogprob(w, choice.Pieces[i], logprobs[i].Logprob);
            w.WriteStartArray("top_logprobs");
            foreach (var alternative in logprobs[i].Top)
            {
                w.WriteStartObject();
                WriteTokenLogprob(w, alternative.Token, alternative.Logprob);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteNull("refusal");
        w.WriteEndObject();
    }

    private static void WriteTokenLogprob(Utf8JsonWriter w, string token, double logprob)
    {
        w.WriteString("token", token);
        w.WriteNumber("logprob", Math.Round(logprob, 6));
        w.WriteStartArray("bytes");
        foreach (var b in Encoding.UTF8.GetBytes(token))
        {
            w.WriteNumberValue(b);
        }

        w.WriteEndArray();
    }

    private static void WriteUsage(Utf8JsonWriter w, Answer answer)
    {
        w.WriteStartObject("usage");
        w.WriteNumber("prompt_tokens", answer.PromptTokens);
        w.WriteNumber("completion_tokens", answer.OutputTokens);
        w.WriteNumber("total_tokens", answer.PromptTokens + answer.OutputTokens);
        w.WriteStartObject("prompt_tokens_details");
        w.WriteNumber("cached_tokens", 0);
        w.WriteNumber("audio_tokens", 0);
        w.WriteEndObject();
        w.WriteStartObject("completion_tokens_details");
        w.WriteNumber("reasoning_tokens", 0);
        w.WriteNumber("audio_tokens", 0);
        w.WriteNumber("accepted_prediction_tokens", 0);
        w.WriteNumber("rejected_prediction_tokens", 0);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static string FinishName(FinishReason finish) => finish switch
    {
        FinishReason.Length => "length",
        FinishReason.ToolCalls => "tool_calls",
        _ => "stop",
    };
}
