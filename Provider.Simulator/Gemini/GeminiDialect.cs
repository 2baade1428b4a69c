using System.Buffers;
using System.Text;
using System.Text.Json;
using Switchboard.Simulator.Generation;
using Switchboard.Simulator.Profiles;
using Switchboard.Simulator.Serving;
using Switchboard.Simulator.Wire;

namespace Switchboard.Simulator.Gemini;

// Gemini generateContent / streamGenerateContent. The model and the method come from the path
// (models/{model}:{method}); with alt=sse the stream is SSE, otherwise a JSON array written piece by piece.
internal sealed class GeminiDialect : Dialect
{
    public const string TargetRouteValue = "target";

    public override string Type => ProviderTypes.Gemini;
    public override string IdPrefix => "";

    public override ReadOnlySpan<byte> MalformedEvent => "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"unterminated\r\n\r\n"u8;

    public override Refusal? CheckHeaders(HttpRequest request, ProviderProfile profile)
    {
        var key = Header(request, "x-goog-api-key") ?? (request.Query.TryGetValue("key", out var q) ? q.ToString() : null);
        if (string.IsNullOrEmpty(key))
        {
            return new Refusal(403, "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.");
        }

        return profile.ApiKey is not null && key != profile.ApiKey
            ? new Refusal(400, "API key not valid. Please pass a valid API key.")
            : null;
    }

    public override Refusal? Read(JsonElement body, HttpContext context, GenerationRequest into)
    {
        var target = context.Request.RouteValues[TargetRouteValue] as string ?? "";
        var colon = target.LastIndexOf(':');
        var method = colon < 0 ? "" : target[(colon + 1)..];
        if (method is not ("generateContent" or "streamGenerateContent"))
        {
            return new Refusal(404, $"Method not found: {method}");
        }

        if (body.ValueKind != JsonValueKind.Object)
        {
            return new Refusal(400, "Invalid JSON payload received. The request body must be a JSON object.");
        }

        if (Json.Element(body, "contents") is not { ValueKind: JsonValueKind.Array } contents || contents.GetArrayLength() == 0)
        {
            return new Refusal(400, "* GenerateContentRequest.contents: contents is not specified");
        }

        into.Model = target[..colon];
        into.Stream = method == "streamGenerateContent";
        into.SseFraming = string.Equals(context.Request.Query["alt"], "sse", StringComparison.Ordinal);
        var prompt = new PromptMeasure();
        if (Json.Element(body, "systemInstruction", "system_instruction") is { } system)
        {
            prompt.AddText(PartsText(system));
        }

        foreach (var content in contents.EnumerateArray())
        {
            prompt.AddMessage();
            var text = PartsText(content);
            prompt.AddText(text);
            if (Json.String(content, "role") is null or "user")
            {
                into.LastUserText = text;
            }
        }

        if (Json.Element(body, "tools") is { ValueKind: JsonValueKind.Array } tools)
        {
            prompt.ToolCharacters = tools.GetRawText().Length;
            foreach (var tool in tools.EnumerateArray())
            {
                if (Json.Element(tool, "functionDeclarations", "function_declarations") is { ValueKind: JsonValueKind.Array } declarations)
                {
                    foreach (var declaration in declarations.EnumerateArray())
                    {
                        if (Json.String(declaration, "name") is { } name)
                        {
                            into.Tools.Add(new ToolSpec(name, Json.Element(declaration, "parameters") ?? Json.Element(declaration, "parametersJsonSchema", "parameters_json_schema")));
                        }
                    }
                }
            }
        }

        into.Prompt = prompt;
        if (Json.Element(body, "toolConfig", "tool_config") is { } toolConfig
            && Json.Element(toolConfig, "functionCallingConfig", "function_calling_config") is { } calling)
        {
            switch (Json.String(calling, "mode"))
            {
                case "ANY":
                    into.ToolMode = ToolMode.Required;
                    if (Json.Element(calling, "allowedFunctionNames", "allowed_function_names") is { ValueKind: JsonValueKind.Array } allowed && allowed.GetArrayLength() > 0)
                    {
                        into.ForcedTool = allowed[0].GetString();
                    }

                    break;
                case "NONE":
                    into.ToolMode = ToolMode.None;
                    break;
            }
        }

        if (Json.Element(body, "generationConfig", "generation_config") is { } config)
        {
            into.Choices = Json.Int(config, "candidateCount") ?? Json.Int(config, "candidate_count") ?? 1;
            into.MaxTokens = Json.Int(config, "maxOutputTokens") ?? Json.Int(config, "max_output_tokens");
            if ((Json.String(config, "responseMimeType") ?? Json.String(config, "response_mime_type")) == "application/json")
            {
                into.Schema = Json.Element(config, "responseSchema", "response_schema") ?? Json.Element(config, "responseJsonSchema", "response_json_schema");
                into.Format = into.Schema is null ? OutputFormat.JsonObject : OutputFormat.JsonSchema;
            }

            into.Logprobs = Json.Bool(config, "responseLogprobs") || Json.Bool(config, "response_logprobs");
            into.TopLogprobs = Json.Int(config, "logprobs") ?? 0;
        }

        return null;
    }

    private static string PartsText(JsonElement content)
    {
        if (Json.Element(content, "parts") is not { ValueKind: JsonValueKind.Array } parts)
        {
            return "";
        }

        var builder = new StringBuilder();
        foreach (var part in parts.EnumerateArray())
        {
            if (Json.String(part, "text") is { } text)
            {
                builder.Append(text);
            }
        }

        return builder.ToString();
    }

    // The Gemini API reports quota in 429 bodies (RetryInfo), not in headers.
    public override void AddHeaders(HttpResponse response, in RateSnapshot rate)
    {
    }

    public override void WriteError(IBufferWriter<byte> output, int status, string message)
    {
        using var w = Json.Writer(output);
        WriteErrorObject(w, status, message);
    }

    private static void WriteErrorObject(Utf8JsonWriter w, int status, string message)
    {
        w.WriteStartObject();
        w.WriteStartObject("error");
        w.WriteNumber("code", status);
        w.WriteString("message", message);
        w.WriteString("status", StatusName(status));
        if (status == 429)
        {
            w.WriteStartArray("details");
            w.WriteStartObject();
            w.WriteString("@type", "type.googleapis.com/google.rpc.RetryInfo");
            w.WriteString("retryDelay", "1s");
            w.WriteEndObject();
            w.WriteEndArray();
        }

        w.WriteEndObject();
        w.WriteEndObject();
    }

    internal static string StatusName(int status) => status switch
    {
        400 => "INVALID_ARGUMENT",
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        409 => "ABORTED",
        429 => "RESOURCE_EXHAUSTED",
        499 => "CANCELLED",
        501 => "UNIMPLEMENTED",
        503 => "UNAVAILABLE",
        504 => "DEADLINE_EXCEEDED",
        >= 500 => "INTERNAL",
        _ => "FAILED_PRECONDITION",
    };

    public override void WriteStreamError(IBufferWriter<byte> output, string message)
    {
        output.Write("data: "u8);
        using (var w = Json.Writer(output))
        {
            WriteErrorObject(w, 503, message);
        }

        output.Write("\r\n\r\n"u8);
    }

    public override void WriteBody(IBufferWriter<byte> output, Answer answer, GenerationRequest request)
    {
        using var w = Json.Writer(output);
        w.WriteStartObject();
        w.WriteStartArray("candidates");
        for (var i = 0; i < answer.Choices.Length; i++)
        {
            var choice = answer.Choices[i];
            WriteCandidate(w, i, choice, choice.Tool is null ? choice.Pieces : [], choice.Tool, Finish(choice.Finish), choice.Logprobs is null ? null : (0, choice.Pieces.Length));
        }

        w.WriteEndArray();
        WriteUsage(w, answer.PromptTokens, answer.OutputTokens);
        w.WriteString("modelVersion", answer.Model);
        w.WriteString("responseId", answer.Id);
        w.WriteEndObject();
    }

    public override IEnumerable<int> WriteStream(IBufferWriter<byte> output, Answer answer, GenerationRequest request)
    {
        var sse = request.SseFraming;
        var token = 0;
        var first = true;
        for (var c = 0; c < answer.Choices.Length; c++)
        {
            var choice = answer.Choices[c];
            if (choice.Tool is { } tool)
            {
                // Gemini sends a function call whole, in one chunk; it still counts every argument piece.
                yield return token;
                token += tool.Pieces.Length;
                Frame(output, sse, ref first, answer, c, [], tool, Finish(choice.Finish), null, token);
                continue;
            }

            for (var i = 0; i < choice.Pieces.Length; i++)
            {
                yield return token;
                token++;
                var last = i == choice.Pieces.Length - 1;
                Frame(output, sse, ref first, answer, c, choice.Pieces.AsSpan(i, 1), null, last ? Finish(choice.Finish) : null,
                    choice.Logprobs is null ? null : (i, 1), token);
            }
        }

        if (!sse)
        {
            output.Write("]"u8);
        }
    }

    private static void Frame(IBufferWriter<byte> output, bool sse, ref bool first, Answer answer, int index, ReadOnlySpan<string> text, ToolCall? tool, string? finish, (int From, int Count)? logprobs, int tokensSoFar)
    {
        if (sse)
        {
            output.Write("data: "u8);
        }
        else
        {
            output.Write(first ? "["u8 : ",\r\n"u8);
        }

        first = false;
        using (var w = Json.Writer(output))
        {
            w.WriteStartObject();
            w.WriteStartArray("candidates");
            WriteCandidate(w, index, answer.Choices[index], text, tool, finish, logprobs);
            w.WriteEndArray();
            WriteUsage(w, answer.PromptTokens, tokensSoFar);
            w.WriteString("modelVersion", answer.Model);
            w.WriteString("responseId", answer.Id);
            w.WriteEndObject();
        }

        if (sse)
        {
            output.Write("\r\n\r\n"u8);
        }
    }

    // text: the content pieces this candidate carries (all of the choice's in a body, one in a stream chunk), written
    // joined without building the joined string.
    private static void WriteCandidate(Utf8JsonWriter w, int index, Choice choice, ReadOnlySpan<string> text, ToolCall? tool, string? finish, (int From, int Count)? logprobs)
    {
        w.WriteStartObject();
        w.WriteStartObject("content");
        w.WriteStartArray("parts");
        w.WriteStartObject();
        if (tool is not null)
        {
            w.WriteStartObject("functionCall");
            w.WriteString("name", tool.Name);
            w.WritePropertyName("args");
            w.WriteRawValue(tool.Arguments, skipInputValidation: true);
            w.WriteEndObject();
        }
        else
        {
            Json.WriteConcatenated(w, "text", text);
        }

        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteString("role", "model");
        w.WriteEndObject();
        if (finish is not null)
        {
            w.WriteString("finishReason", finish);
        }

        if (logprobs is { } range && choice.Logprobs is { } lp)
        {
            var sum = 0.0;
            for (var i = range.From; i < range.From + range.Count; i++)
            {
                sum += lp[i].Logprob;
            }

            w.WriteNumber("avgLogprobs", Math.Round(sum / Math.Max(1, range.Count), 6));
            w.WriteStartObject("logprobsResult");
            w.WriteStartArray("topCandidates");
            for (var i = range.From; i < range.From + range.Count; i++)
            {
                w.WriteStartObject();
                w.WriteStartArray("candidates");
                foreach (var alternative in lp[i].Top)
                {
                    WriteTokenLogprob(w, alternative.Token, alternative.Logprob);
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartArray("chosenCandidates");
            for (var i = range.From; i < range.From + range.Count; i++)
            {
                WriteTokenLogprob(w, choice.Pieces[i], lp[i].Logprob);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteNumber("index", index);
        w.WriteEndObject();
    }

    private static void WriteTokenLogprob(Utf8JsonWriter w, string token, double logprob)
    {
        w.WriteStartObject();
        w.WriteString("token", token);
        w.WriteNumber("logProbability", Math.Round(logprob, 6));
        w.WriteEndObject();
    }

    private static void WriteUsage(Utf8JsonWriter w, int prompt, int candidates)
    {
        w.WriteStartObject("usageMetadata");
        w.WriteNumber("promptTokenCount", prompt);
        w.WriteNumber("candidatesTokenCount", candidates);
        w.WriteNumber("totalTokenCount", prompt + candidates);
        w.WriteStartArray("promptTokensDetails");
        w.WriteStartObject();
        w.WriteString("modality", "TEXT");
        w.WriteNumber("tokenCount", prompt);
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static string Finish(FinishReason finish) => finish == FinishReason.Length ? "MAX_TOKENS" : "STOP";
}
