using System.Text;
using System.Text.Json.Nodes;

namespace Switchboard.Gateway.Tests.Reliability;

/// <summary>
/// A seeded mutator of valid Chat Completions requests: byte-level damage (bit flips, truncation, deletions,
/// insertions, duplication) and structure-level damage (type swaps, removed fields, deep nesting, huge or broken
/// strings). The same seed gives the same cases, so a failure can be replayed.
/// </summary>
public sealed class RequestMutator(int seed)
{
    private const string LoneSurrogates = "LONE-SURROGATES";
    private readonly Random _random = new(seed);

    /// <summary>Valid requests the mutations start from; {MODEL} is replaced by a route of the gateway under test.</summary>
    private static readonly string[] Seeds =
    [
        """{"model":"{MODEL}","messages":[{"role":"user","content":"hello there"}]}""",
        """{"model":"{MODEL}","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hi"}]}""",
        """{"model":"{MODEL}","max_tokens":5,"temperature":0.2,"top_p":0.9,"stop":["\n"],"seed":1,"user":"u1","messages":[{"role":"user","content":[{"type":"text","text":"describe"},{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}}]}]}""",
        """{"model":"{MODEL}","tools":[{"type":"function","function":{"name":"get_weather","description":"weather","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}],"tool_choice":"auto","messages":[{"role":"user","content":"weather in Paris? call a tool"}]}""",
        """{"model":"{MODEL}","messages":[{"role":"user","content":"2+2?"},{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"calc","arguments":"{\"x\":2}"}}]},{"role":"tool","tool_call_id":"call_1","content":"4"}]}""",
        """{"model":"{MODEL}","response_format":{"type":"json_schema","json_schema":{"name":"r","schema":{"type":"object","properties":{"a":{"type":"integer"}}}}},"messages":[{"role":"user","content":"json please"}]}""",
    ];

    public byte[] Next(string[] models)
    {
        var model = models[_random.Next(models.Length)];
        var text = Seeds[_random.Next(Seeds.Length)].Replace("{MODEL}", model, StringComparison.Ordinal);
        var structural = _random.Next(2) == 0;
        if (structural)
        {
            var node = JsonNode.Parse(text)!;
            var n = 1 + _random.Next(3);
            for (var i = 0; i < n; i++)
            {
                node = MutateTree(node);
            }
            // Lone surrogates cannot be written as UTF-16 text; they go in as the escapes a client would send.
            text = node.ToJsonString().Replace(LoneSurrogates, "\\ud800 lone \\udfff surrogates", StringComparison.Ordinal);
        }
        var bytes = Encoding.UTF8.GetBytes(text);
        if (!structural || _random.Next(4) == 0)
        {
            var n = 1 + _random.Next(3);
            for (var i = 0; i < n; i++)
            {
                bytes = MutateBytes(bytes);
            }
        }
        return bytes;
    }

    private byte[] MutateBytes(byte[] b)
    {
        if (b.Length == 0)
        {
            return [(byte)_random.Next(256)];
        }
        var at = _random.Next(b.Length);
        switch (_random.Next(6))
        {
            case 0:
                var flipped = (byte[])b.Clone();
                flipped[at] ^= (byte)(1 << _random.Next(8));
                return flipped;
            case 1:
                return b[..at];
            case 2:
                var len = Math.Min(b.Length - at, 1 + _random.Next(16));
                return [.. b[..at], .. b[(at + len)..]];
            case 3:
                var junk = new byte[1 + _random.Next(8)];
                _random.NextBytes(junk);
                return [.. b[..at], .. junk, .. b[at..]];
            case 4:
                var take = Math.Min(b.Length - at, 1 + _random.Next(32));
                return [.. b[..(at + take)], .. b[at..]];
            default:
                // A structural character where it does not belong.
                var c = "{}[]\",:\\"u8[_random.Next(8)];
                var swapped = (byte[])b.Clone();
                swapped[at] = c;
                return swapped;
        }
    }

    private JsonNode MutateTree(JsonNode root)
    {
        var all = new List<JsonNode>();
        Collect(root, all);
        var target = all[_random.Next(all.Count)];
        if (target == root)
        {
            return _random.Next(3) == 0 ? RandomValue() : root;
        }
        var parent = target.Parent!;
        var replacement = _random.Next(5) == 0 ? null : RandomValue();
        switch (parent)
        {
            case JsonObject obj:
                var name = target.GetPropertyName();
                if (replacement is null)
                {
                    obj.Remove(name);
                }
                else
                {
                    obj[name] = replacement;
                }
                break;
            case JsonArray arr:
                var index = target.GetElementIndex();
                if (replacement is null)
                {
                    arr.RemoveAt(index);
                }
                else
                {
                    arr[index] = replacement;
                }
                break;
        }
        return root;
    }

    private JsonNode RandomValue() => _random.Next(12) switch
    {
        0 => JsonValue.Create(_random.Next(-1000, 1000)),
        1 => JsonValue.Create(_random.NextDouble() * 1e300),
        2 => JsonValue.Create(_random.Next(2) == 0),
        3 => JsonValue.Create(""),
        4 => JsonValue.Create(new string('x', 1 + _random.Next(20_000))),
        5 => JsonValue.Create(LoneSurrogates),
        6 => new JsonArray(),
        7 => new JsonObject(),
        8 => Nest(1 + _random.Next(300)),
        9 => new JsonArray(JsonValue.Create(1), JsonValue.Create("two"), null, new JsonObject { ["role"] = "user" }),
        10 => new JsonObject { ["role"] = "wizard", ["content"] = new JsonArray(new JsonObject { ["type"] = "image_url" }) },
        _ => JsonValue.Create("chat"),
    };

    private static JsonNode Nest(int depth)
    {
        JsonNode node = JsonValue.Create(1);
        for (var i = 0; i < depth; i++)
        {
            node = new JsonArray(node);
        }
        return node;
    }

    private static void Collect(JsonNode node, List<JsonNode> into)
    {
        into.Add(node);
        switch (node)
        {
            case JsonObject obj:
                foreach (var (_, child) in obj)
                {
                    if (child is not null)
                    {
                        Collect(child, into);
                    }
                }
                break;
            case JsonArray arr:
                foreach (var child in arr)
                {
                    if (child is not null)
                    {
                        Collect(child, into);
                    }
                }
                break;
        }
    }
}
