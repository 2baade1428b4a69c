using System.Buffers;
using System.Text;
using System.Text.Json;
using Switchboard.Gateway.Providers;

namespace Switchboard.Gateway.Tests.Providers;

/// <summary>Builds attempts from request JSON and replays recorded SSE streams through a translator.</summary>
internal static class TranslationKit
{
    public const long Created = 1_700_000_000;
    public const string ResponseId = "chatcmpl-test123";

    public static AttemptContext Attempt(string requestJson, string type = "anthropic", string model = "claude-sonnet-4-20250514",
        string? apiVersion = null, int defaultMaxTokens = 4096, string baseUrl = "https://upstream.test",
        IReadOnlyDictionary<string, string>? headers = null)
    {
        var body = Encoding.UTF8.GetBytes(requestJson);
        return new AttemptContext
        {
            Request = new ChatRequest(body, JsonDocument.Parse(body)),
            Provider = new ProviderEndpoint(type, type, new Uri(baseUrl), "sk-secret", headers, apiVersion),
            Model = model,
            DefaultMaxTokens = defaultMaxTokens,
            ResponseId = ResponseId,
            CreatedUnix = Created,
            Warnings = new WarningSet(),
        };
    }

    public static JsonElement Written(Action<AttemptContext, IBufferWriter<byte>> write, AttemptContext attempt)
    {
        var output = new ArrayBufferWriter<byte>();
        write(attempt, output);
        return JsonDocument.Parse(output.WrittenMemory).RootElement.Clone();
    }

    /// <summary>Parses <c>event:</c>/<c>data:</c> frames of a recorded stream (LF or CRLF) and feeds them one by one.</summary>
    public static string Replay(IStreamTranslator translator, string recorded, bool complete = true)
    {
        var output = new ArrayBufferWriter<byte>();
        foreach (var (name, data) in ParseSse(recorded))
        {
            translator.OnEvent(Encoding.UTF8.GetBytes(name), Encoding.UTF8.GetBytes(data), output);
        }
        if (complete && translator.Completed)
        {
            translator.Complete(output);
        }
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }

    public static IEnumerable<(string Name, string Data)> ParseSse(string text)
    {
        foreach (var frame in text.Replace("\r\n", "\n", StringComparison.Ordinal).Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            string name = "";
            var data = new StringBuilder();
            foreach (var line in frame.Split('\n'))
            {
                if (line.StartsWith("event:", StringComparison.Ordinal))
                {
                    name = line["event:".Length..].Trim();
                }
                else if (line.StartsWith("data:", StringComparison.Ordinal))
                {
                    if (data.Length > 0)
                    {
                        data.Append('\n');
                    }
                    data.Append(line["data:".Length..].TrimStart());
                }
            }
            if (data.Length > 0)
            {
                yield return (name, data.ToString());
            }
        }
    }

    /// <summary>The frames the translator wrote: every one must be <c>data: ...\n\n</c>.</summary>
    public static List<string> Frames(string written)
    {
        Assert.EndsWith("\n\n", written);
        var frames = written.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        var payloads = new List<string>();
        foreach (var frame in frames)
        {
            Assert.StartsWith("data: ", frame);
            Assert.DoesNotContain('\n', frame);
            payloads.Add(frame["data: ".Length..]);
        }
        return payloads;
    }

    /// <summary>The JSON chunks (everything but <c>[DONE]</c>), parsed back.</summary>
    public static List<JsonElement> Chunks(string written) =>
        Frames(written).Where(f => f != "[DONE]").Select(f => JsonDocument.Parse(f).RootElement.Clone()).ToList();

    public static JsonElement Delta(JsonElement chunk) => chunk.GetProperty("choices")[0].GetProperty("delta");

    public static string? Str(this JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>Content deltas of choice <paramref name="index"/> concatenated.</summary>
    public static string Content(IEnumerable<JsonElement> chunks, string field = "content", int index = 0) =>
        string.Concat(chunks.Where(c => c.GetProperty("choices").GetArrayLength() > 0)
            .Select(c => c.GetProperty("choices")[0])
            .Where(c => c.GetProperty("index").GetInt32() == index)
            .Select(c => c.GetProperty("delta").Str(field) ?? ""));

    /// <summary>Reassembles streamed tool calls the way the OpenAI SDKs do: by index, appending argument fragments.</summary>
    public static SortedDictionary<int, (string? Id, string? Name, string Arguments)> ToolCalls(IEnumerable<JsonElement> chunks)
    {
        var calls = new SortedDictionary<int, (string? Id, string? Name, string Arguments)>();
        foreach (var chunk in chunks)
        {
            if (chunk.GetProperty("choices").GetArrayLength() == 0
                || !Delta(chunk).TryGetProperty("tool_calls", out var toolCalls))
            {
                continue;
            }
            foreach (var call in toolCalls.EnumerateArray())
            {
                var index = call.GetProperty("index").GetInt32();
                calls.TryGetValue(index, out var current);
                var function = call.TryGetProperty("function", out var f) ? f : default;
                calls[index] = (current.Id ?? call.Str("id"), current.Name ?? (function.ValueKind == JsonValueKind.Object ? function.Str("name") : null),
                    (current.Arguments ?? "") + (function.ValueKind == JsonValueKind.Object ? function.Str("arguments") ?? "" : ""));
            }
        }
        return calls;
    }

    public static HttpResponseMessage Response(int status, string body, string contentType = "application/json") =>
        new((System.Net.HttpStatusCode)status) { Content = new StringContent(body, Encoding.UTF8, contentType) };
}
