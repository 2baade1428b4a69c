using System.Text;

namespace Switchboard.Gateway.Tests.Reliability;

/// <summary>What a bad input must get back.</summary>
public enum Expect
{
    /// <summary>Exactly <see cref="BadInput.Status"/>, in the OpenAI error shape.</summary>
    Status,

    /// <summary>Some 4xx in the OpenAI error shape.</summary>
    ClientError,

    /// <summary>
    /// Input the gateway may pass on (a provider decides): a 2xx, or a 4xx in the OpenAI error shape; never a 5xx.
    /// </summary>
    NoServerError,

    /// <summary>
    /// Broken HTTP framing that Kestrel refuses before any application code runs: a bare 4xx or a closed
    /// connection, never a 5xx.
    /// </summary>
    Transport,
}

/// <summary>One named hostile request, as raw bytes on the wire.</summary>
public sealed record BadInput(string Name, byte[] Request, Expect Expect, int Status = 0)
{
    public override string ToString() => Name;
}

/// <summary>
/// The bad-input corpus: malformed and hostile requests to <c>POST /v1/chat/completions</c>, as data. Message-level
/// cases run against each provider type (openai pass-through, anthropic and gemini translation), because each
/// reads a different part of the request.
/// </summary>
public static class BadInputCorpus
{
    public const string Key = "sk-reliability-gateway-key";
    public const string Path = "/v1/chat/completions";

    /// <summary>Routes of the gateway under test, one per provider type.</summary>
    public static readonly string[] Routes = ["chat", "anth", "gem"];

    private static readonly string[] Json = ["Content-Type: application/json"];
    private static readonly string[] Authorized = ["Authorization: Bearer " + Key, "Content-Type: application/json"];

    private static byte[] U(string s) => Encoding.UTF8.GetBytes(s);

    private static byte[] Post(byte[] body, IEnumerable<string>? headers = null) =>
        RawHttp.Request("POST", Path, headers ?? Authorized, body);

    private static byte[] Post(string body, IEnumerable<string>? headers = null) => Post(U(body), headers);

    private static string Valid(string model, string messages = """[{"role":"user","content":"hi"}]""", string extra = "") =>
        $$"""{"model":"{{model}}","messages":{{messages}}{{extra}}}""";

    public static IReadOnlyList<BadInput> Build(int maxBodyBytes)
    {
        var cases = new List<BadInput>();
        void Add(string name, byte[] request, Expect expect, int status = 0) => cases.Add(new BadInput(name, request, expect, status));

        // Not JSON, or not a JSON object.
        Add("empty body", Post(""), Expect.Status, 400);
        Add("whitespace only", Post("  \r\n\t "), Expect.Status, 400);
        Add("truncated object", Post("""{"model":"chat","messages":[{"role":"us"""), Expect.Status, 400);
        Add("single open brace", Post("{"), Expect.Status, 400);
        Add("trailing comma", Post("""{"model":"chat","messages":[{"role":"user","content":"hi"}],}"""), Expect.Status, 400);
        Add("single quotes", Post("{'model':'chat','messages':[]}"), Expect.Status, 400);
        Add("comments", Post("""/* hi */ {"model":"chat","messages":[{"role":"user","content":"hi"}]}"""), Expect.Status, 400);
        Add("NaN literal", Post("""{"model":"chat","temperature":NaN,"messages":[{"role":"user","content":"hi"}]}"""), Expect.Status, 400);
        Add("two documents", Post(Valid("chat") + Valid("chat")), Expect.Status, 400);
        Add("json null", Post("null"), Expect.Status, 400);
        Add("json array", Post("[]"), Expect.Status, 400);
        Add("json string", Post("\"chat\""), Expect.Status, 400);
        Add("json number", Post("42"), Expect.Status, 400);
        Add("json true", Post("true"), Expect.Status, 400);
        Add("xml", Post("<chat><model>chat</model></chat>"), Expect.Status, 400);
        Add("form encoded", Post("model=chat&messages=hi", ["Authorization: Bearer " + Key, "Content-Type: application/x-www-form-urlencoded"]), Expect.Status, 400);
        Add("binary zeros", Post(new byte[512]), Expect.Status, 400);
        Add("random bytes", Post(RandomBytes(2048, 7)), Expect.Status, 400);
        Add("utf-16 body", Post(Encoding.Unicode.GetBytes(Valid("chat"))), Expect.Status, 400);
        Add("utf-8 BOM then JSON", Post([0xEF, 0xBB, 0xBF, .. U(Valid("chat"))]), Expect.NoServerError);

        // Invalid UTF-8 and broken escapes inside JSON strings.
        Add("invalid utf-8 in model", Post([.. U("""{"model":"ch"""), 0xFF, 0xFE, .. U("""at","messages":[{"role":"user","content":"hi"}]}""")]), Expect.Status, 400);
        Add("overlong utf-8 in model", Post([.. U("{\"model\":\""), 0xC0, 0xAF, .. U("\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")]), Expect.Status, 400);
        Add("lone surrogate escape in model", Post("""{"model":"\ud800","messages":[{"role":"user","content":"hi"}]}"""), Expect.Status, 400);
        Add("invalid escape", Post("""{"model":"\q","messages":[{"role":"user","content":"hi"}]}"""), Expect.Status, 400);
        Add("raw control char in string", Post("{\"model\":\"chat\",\"messages\":[{\"role\":\"user\",\"content\":\"a\u0001b\"}]}"), Expect.Status, 400);
        Add("NUL escape in model", Post("""{"model":"chat\u0000","messages":[{"role":"user","content":"hi"}]}"""), Expect.Status, 404);

        // Missing fields and wrong types at the top level.
        Add("no model", Post("""{"messages":[{"role":"user","content":"hi"}]}"""), Expect.Status, 400);
        Add("model null", Post("""{"model":null,"messages":[{"role":"user","content":"hi"}]}"""), Expect.Status, 400);
        Add("model empty", Post(Valid("")), Expect.Status, 400);
        Add("model number", Post("""{"model":4,"messages":[{"role":"user","content":"hi"}]}"""), Expect.Status, 400);
        Add("model array", Post("""{"model":["chat"],"messages":[{"role":"user","content":"hi"}]}"""), Expect.Status, 400);
        Add("model object", Post("""{"model":{"name":"chat"},"messages":[{"role":"user","content":"hi"}]}"""), Expect.Status, 400);
        Add("unknown model", Post(Valid("no-such-route")), Expect.Status, 404);
        Add("unknown provider/model", Post(Valid("nobody/gpt-4o")), Expect.Status, 404);
        Add("provider slash nothing", Post(Valid("chat/")), Expect.Status, 404);
        Add("slash only", Post(Valid("/")), Expect.Status, 404);
        Add("model 10 KB", Post(Valid(new string('m', 10_000))), Expect.Status, 404);
        Add("model with URL", Post(Valid("http://127.0.0.1:1/v1")), Expect.Status, 404);
        Add("no messages", Post("""{"model":"chat"}"""), Expect.Status, 400);
        Add("messages null", Post("""{"model":"chat","messages":null}"""), Expect.Status, 400);
        Add("messages object", Post("""{"model":"chat","messages":{"role":"user","content":"hi"}}"""), Expect.Status, 400);
        Add("messages string", Post("""{"model":"chat","messages":"hi"}"""), Expect.Status, 400);
        Add("messages empty", Post(Valid("chat", "[]")), Expect.Status, 400);
        Add("message number", Post(Valid("chat", "[1]")), Expect.Status, 400);
        Add("message null", Post(Valid("chat", "[null]")), Expect.Status, 400);
        Add("message array", Post(Valid("chat", """[["user","hi"]]""")), Expect.Status, 400);
        Add("message without role", Post(Valid("chat", """[{"content":"hi"}]""")), Expect.Status, 400);
        Add("role number", Post(Valid("chat", """[{"role":1,"content":"hi"}]""")), Expect.Status, 400);
        Add("role null", Post(Valid("chat", """[{"role":null,"content":"hi"}]""")), Expect.Status, 400);
        Add("content number", Post(Valid("chat", """[{"role":"user","content":5}]""")), Expect.Status, 400);
        Add("content object", Post(Valid("chat", """[{"role":"user","content":{"text":"hi"}}]""")), Expect.Status, 400);
        Add("content true", Post(Valid("chat", """[{"role":"user","content":true}]""")), Expect.Status, 400);
        foreach (var (field, value) in new[]
        {
            ("stream", "\"yes\""), ("stream", "1"), ("temperature", "\"hot\""), ("temperature", "[]"), ("top_p", "{}"),
            ("max_tokens", "1.5"), ("max_tokens", "\"10\""), ("max_tokens", "1e30"), ("max_completion_tokens", "true"),
            ("n", "0"), ("n", "-1"), ("n", "\"2\""), ("seed", "0.5"), ("seed", "99999999999999999999999"),
            ("tools", "{}"), ("tools", "\"f\""), ("functions", "1"), ("stream_options", "[]"), ("stream_options", "true"),
            ("response_format", "\"json\""), ("metadata", "[]"), ("logit_bias", "1"), ("stop", "5"), ("stop", "{}"),
            ("user", "5"), ("user", "[]"), ("tool_choice", "5"), ("tool_choice", "[]"), ("logprobs", "\"true\""),
            ("parallel_tool_calls", "0"), ("presence_penalty", "\"x\""), ("top_logprobs", "2.5"),
        })
        {
            Add($"{field} = {value}", Post(Valid("chat", extra: $",\"{field}\":{value}")), Expect.Status, 400);
        }

        // Deep nesting (the parser's depth limit) and large shapes.
        Add("nesting 200 deep in content", Post(Valid("chat", $$"""[{"role":"user","content":{{new string('[', 200)}}{{new string(']', 200)}}}]""")), Expect.Status, 400);
        Add("nesting 50000 deep", Post(U(new string('[', 50_000) + new string(']', 50_000))), Expect.ClientError);
        Add("nested objects 100000 deep, unclosed", Post(U(string.Concat(Enumerable.Repeat("{\"a\":", 100_000)))), Expect.ClientError);
        Add("metadata 100 deep (over the depth of 64)", Post(Valid("chat", extra: ",\"metadata\":" + string.Concat(Enumerable.Repeat("{\"a\":", 100)) + "1" + new string('}', 100))), Expect.Status, 400);
        Add("huge string just under the limit", Post(Valid("chat", $$"""[{"role":"user","content":"{{new string('x', maxBodyBytes - 200)}}"}]""")), Expect.NoServerError);
        Add("huge string over the limit", Post(Valid("chat", $$"""[{"role":"user","content":"{{new string('x', maxBodyBytes + 10)}}"}]""")), Expect.Status, 413);
        Add("many messages under the limit", Post(Valid("chat", "[" + string.Join(",", Enumerable.Repeat("""{"role":"user","content":"a"}""", (maxBodyBytes - 200) / 31)) + "]")), Expect.NoServerError);
        Add("huge array of numbers in stop", Post(Valid("chat", extra: ",\"stop\":[" + string.Join(",", Enumerable.Repeat("1", (maxBodyBytes - 200) / 2)) + "]")), Expect.NoServerError);
        Add("many unknown properties", Post("{" + string.Concat(Enumerable.Range(0, 2000).Select(i => $"\"p{i}\":{i},")) + "\"model\":\"chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"), Expect.NoServerError);
        Add("body over the limit, chunked", RawHttp.Request("POST", Path, [.. Authorized, "Transfer-Encoding: chunked"], RawHttp.Chunked(new byte[maxBodyBytes * 3]), contentLength: false), Expect.Status, 413);
        Add("content-length over the limit", RawHttp.Request("POST", Path, [.. Authorized, $"Content-Length: {maxBodyBytes * 100}"], U("{}"), contentLength: false), Expect.Status, 413);
        Add("content-length 10 TB", RawHttp.Request("POST", Path, [.. Authorized, "Content-Length: 10000000000000"], U("{}"), contentLength: false), Expect.Status, 413);
        Add("duplicate model keys", Post("""{"model":"chat","model":7,"messages":[{"role":"user","content":"hi"}]}"""), Expect.NoServerError);
        Add("duplicate messages keys", Post("""{"model":"chat","messages":[{"role":"user","content":"hi"}],"messages":5}"""), Expect.NoServerError);

        // Authentication and headers.
        Add("no key", Post(Valid("chat"), Json), Expect.Status, 401);
        Add("wrong key", Post(Valid("chat"), ["Authorization: Bearer sk-wrong", .. Json]), Expect.Status, 401);
        Add("empty bearer", Post(Valid("chat"), ["Authorization: Bearer ", .. Json]), Expect.Status, 401);
        Add("basic auth", Post(Valid("chat"), ["Authorization: Basic " + Convert.ToBase64String(U("a:" + Key)), .. Json]), Expect.Status, 401);
        Add("key with a NUL appended", Post(Valid("chat"), ["Authorization: Bearer " + Key + "\u0000", .. Json]), Expect.Transport);
        Add("key 8 KB", Post(Valid("chat"), ["Authorization: Bearer " + new string('k', 8000), .. Json]), Expect.Status, 401);
        Add("key as a prefix", Post(Valid("chat"), ["Authorization: Bearer " + Key[..^1], .. Json]), Expect.Status, 401);
        Add("two authorization headers", Post(Valid("chat"), ["Authorization: Bearer sk-wrong", "Authorization: Bearer " + Key, .. Json]), Expect.ClientError);
        Add("non-ASCII key", Post(Valid("chat"), ["Authorization: Bearer cl\u00e9-\u00fcn\u00efcode", .. Json]), Expect.Transport);
        Add("x-request-id with CRLF injection", Post(Valid("chat", "[]"), ["x-request-id: abc\r\nSet-Cookie: pwned=1", .. Authorized]), Expect.Status, 400);
        Add("x-request-id 1 KB", Post(Valid("chat", "[]"), ["x-request-id: " + new string('r', 1000), .. Authorized]), Expect.Status, 400);
        Add("x-request-id non-ASCII", Post(Valid("chat", "[]"), ["x-request-id: \u00e9t\u00e9", .. Authorized]), Expect.Transport);
        Add("x-request-id control char", Post(Valid("chat", "[]"), ["x-request-id: a\u0001b", .. Authorized]), Expect.Transport);
        Add("x-switchboard-task unknown", Post(Valid("chat", "[]"), ["x-switchboard-task: ../../etc/passwd", .. Authorized]), Expect.Status, 400);
        Add("header 40 KB", Post(Valid("chat"), ["x-filler: " + new string('f', 40_000), .. Authorized]), Expect.Transport);
        Add("header with bare LF", Post(Valid("chat"), ["x-a: 1\nx-b: 2", .. Authorized]), Expect.Transport);
        Add("header name with space", Post(Valid("chat"), ["x bad: 1", .. Authorized]), Expect.Transport);
        Add("request line garbage", [.. U("P@ST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n\r\n")], Expect.Transport);
        Add("content-length negative", RawHttp.Request("POST", Path, [.. Authorized, "Content-Length: -5"], U("{}"), contentLength: false), Expect.Transport);
        Add("content-length twice, differing", RawHttp.Request("POST", Path, [.. Authorized, "Content-Length: 2", "Content-Length: 3"], U("{}"), contentLength: false), Expect.Transport);
        Add("chunked and content-length", RawHttp.Request("POST", Path, [.. Authorized, "Content-Length: 5", "Transfer-Encoding: chunked"], RawHttp.Chunked(U(Valid("chat"))), contentLength: false), Expect.Transport);
        Add("bad chunk size", RawHttp.Request("POST", Path, [.. Authorized, "Transfer-Encoding: chunked"], U("zz\r\nabc\r\n0\r\n\r\n"), contentLength: false), Expect.ClientError);

        // Message-level input each provider type reads its own way.
        foreach (var route in Routes)
        {
            foreach (var (name, messages, extra) in MessageCases)
            {
                var body = U(Valid(route, messages, extra));
                if (messages.Contains("INVALID_UTF8", StringComparison.Ordinal))
                {
                    var at = body.AsSpan().IndexOf("INVALID_UTF8"u8);
                    body = [.. body[..at], 0xFF, 0xC3, 0x28, 0xED, 0xA0, 0x80, .. body[(at + 12)..]];
                }
                Add($"{route}: {name}", Post(body), Expect.NoServerError);
            }
        }
        return cases;
    }

    /// <summary>Requests that pass the gateway's own shape check; the provider adapter (or the provider) judges them.</summary>
    private static readonly (string Name, string Messages, string Extra)[] MessageCases =
    [
        ("unknown role", """[{"role":"wizard","content":"hi"}]""", ""),
        ("empty role", """[{"role":"","content":"hi"}]""", ""),
        ("only a system message", """[{"role":"system","content":"be brief"}]""", ""),
        ("user content null", """[{"role":"user","content":null}]""", ""),
        ("no content", """[{"role":"user"}]""", ""),
        ("content parts with a number", """[{"role":"user","content":[1]}]""", ""),
        ("content part without type", """[{"role":"user","content":[{"text":"hi"}]}]""", ""),
        ("text part without text", """[{"role":"user","content":[{"type":"text"}]}]""", ""),
        ("text part with a number", """[{"role":"user","content":[{"type":"text","text":5}]}]""", ""),
        ("unknown part type", """[{"role":"user","content":[{"type":"hologram","hologram":{}}]}]""", ""),
        ("image part without url", """[{"role":"user","content":[{"type":"image_url"}]}]""", ""),
        ("image url a number", """[{"role":"user","content":[{"type":"image_url","image_url":{"url":5}}]}]""", ""),
        ("image data url garbage", """[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,@@@"}}]}]""", ""),
        ("image javascript url", """[{"role":"user","content":[{"type":"image_url","image_url":{"url":"javascript:alert(1)"}}]}]""", ""),
        ("image file url", """[{"role":"user","content":[{"type":"image_url","image_url":{"url":"file:///etc/passwd"}}]}]""", ""),
        ("tool message without id", """[{"role":"user","content":"hi"},{"role":"tool","content":"42"}]""", ""),
        ("tool_calls a string", """[{"role":"user","content":"hi"},{"role":"assistant","tool_calls":"x"}]""", ""),
        ("tool_call id a number", """[{"role":"user","content":"hi"},{"role":"assistant","tool_calls":[{"id":1,"type":"function","function":{"name":"f","arguments":"{}"}}]}]""", ""),
        ("tool_call arguments not JSON", """[{"role":"user","content":"hi"},{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{nope"}}]},{"role":"tool","tool_call_id":"c","content":"1"}]""", ""),
        ("tool_call without function", """[{"role":"user","content":"hi"},{"role":"assistant","tool_calls":[{"id":"c","type":"function"}]}]""", ""),
        ("tools with a number", """[{"role":"user","content":"hi"}]""", ""","tools":[1]"""),
        ("tool without function", """[{"role":"user","content":"hi"}]""", ""","tools":[{"type":"function"}]"""),
        ("tool parameters a string", """[{"role":"user","content":"hi"}]""", ""","tools":[{"type":"function","function":{"name":"f","parameters":"object"}}]"""),
        ("tool name a number", """[{"role":"user","content":"hi"}]""", ""","tools":[{"type":"function","function":{"name":7}}]"""),
        ("tool_choice unknown string", """[{"role":"user","content":"hi"}]""", ""","tool_choice":"sometimes","tools":[{"type":"function","function":{"name":"f"}}]"""),
        ("tool_choice function without name", """[{"role":"user","content":"hi"}]""", ""","tool_choice":{"type":"function"},"tools":[{"type":"function","function":{"name":"f"}}]"""),
        ("response_format json_schema without schema", """[{"role":"user","content":"hi"}]""", ""","response_format":{"type":"json_schema"}"""),
        ("response_format type a number", """[{"role":"user","content":"hi"}]""", ""","response_format":{"type":5}"""),
        ("response_format schema a string", """[{"role":"user","content":"hi"}]""", ""","response_format":{"type":"json_schema","json_schema":{"name":"x","schema":"nope"}}"""),
        ("stop with numbers", """[{"role":"user","content":"hi"}]""", ""","stop":[1,2]"""),
        ("max_tokens negative", """[{"role":"user","content":"hi"}]""", ""","max_tokens":-5"""),
        ("max_tokens beyond int32", """[{"role":"user","content":"hi"}]""", ""","max_tokens":99999999999"""),
        ("temperature huge", """[{"role":"user","content":"hi"}]""", ""","temperature":1e308"""),
        ("temperature negative", """[{"role":"user","content":"hi"}]""", ""","temperature":-100"""),
        ("stream_options include_usage a string", """[{"role":"user","content":"hi"}]""", ""","stream":true,"stream_options":{"include_usage":"yes"}"""),
        ("logit_bias values strings", """[{"role":"user","content":"hi"}]""", ""","logit_bias":{"50256":"no"}"""),
        ("name a number", """[{"role":"user","name":5,"content":"hi"}]""", ""),
        ("NUL and surrogate pairs in content", """[{"role":"user","content":"a\u0000b \ud83d\ude00"}]""", ""),
        ("lone surrogate in content", """[{"role":"user","content":"bad \udc00 half"}]""", ""),
        ("invalid utf-8 in content", "[{\"role\":\"user\",\"content\":\"INVALID_UTF8\"}]", ""),
        ("thinking a number budget string", """[{"role":"user","content":"hi"}]""", ""","thinking":{"type":"enabled","budget_tokens":"lots"}"""),
        ("streamed unknown role", """[{"role":"wizard","content":"hi"}]""", ""","stream":true"""),
        ("streamed bad image", """[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:;base64,"}}]}]""", ""","stream":true"""),
    ];

    private static byte[] RandomBytes(int n, int seed)
    {
        var bytes = new byte[n];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
