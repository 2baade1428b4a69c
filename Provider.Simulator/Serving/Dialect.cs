using System.Buffers;
using System.Text.Json;
using Microsoft.Extensions.Primitives;
using Switchboard.Simulator.Generation;
using Switchboard.Simulator.Profiles;

namespace Switchboard.Simulator.Serving;

// A request the protocol refuses, with the status the real API would use.
internal readonly record struct Refusal(int Status, string Message);

// One provider wire protocol. The shared pipeline (ExchangeRunner) does profiles, faults, rate limits and pacing; a
// dialect only knows how its API spells requests, answers, events and errors.
internal abstract class Dialect
{
    public abstract string Type { get; }

    // Prefix of answer ids (chatcmpl-, msg_).
    public abstract string IdPrefix { get; }

    // Credentials and mandatory headers, checked before the body is read.
    public abstract Refusal? CheckHeaders(HttpRequest request, ProviderProfile profile);

    // Reads the protocol's request into the neutral form; a refusal for invalid input.
    public abstract Refusal? Read(JsonElement body, HttpContext context, GenerationRequest into);

    public abstract void WriteError(IBufferWriter<byte> output, int status, string message);

    // Headers on every answer from a known provider, including refusals (request id, rate limits).
    public abstract void AddHeaders(HttpResponse response, in RateSnapshot rate);

    public abstract void WriteBody(IBufferWriter<byte> output, Answer answer, GenerationRequest request);

    // Writes the SSE stream piece by piece. Before writing the events that carry token i it yields i, so the caller
    // can send what is buffered and wait until that token is due.
    public abstract IEnumerable<int> WriteStream(IBufferWriter<byte> output, Answer answer, GenerationRequest request);

    // An SSE event whose data is not valid JSON (the malformed-body fault).
    public virtual ReadOnlySpan<byte> MalformedEvent => "data: {\"id\":\"broken\",\"choices\":[{\"delta\":{\"content\":\"unterminated\n\n"u8;

    // The error a provider sends inside a stream that has already started (status 200).
    public abstract void WriteStreamError(IBufferWriter<byte> output, string message);

    // Request ids as the providers spell them (req_ and 32 hex digits), unique within the process: a counter through
    // a bijective mix, so no random bytes from the kernel (Guid.NewGuid) on every request.
    private static readonly ulong RequestIdSalt = (ulong)Random.Shared.NextInt64();
    private static long _requestIds;

    protected static string RequestId()
    {
        var n = (ulong)Interlocked.Increment(ref _requestIds);
        var high = Behaviour.SimRandom.Mix(RequestIdSalt ^ n);
        return string.Create(36, (high, Low: Behaviour.SimRandom.Mix(high + n)), static (span, v) =>
        {
            "req_".CopyTo(span);
            v.high.TryFormat(span[4..], out _, "x16", System.Globalization.CultureInfo.InvariantCulture);
            v.Low.TryFormat(span[20..], out _, "x16", System.Globalization.CultureInfo.InvariantCulture);
        });
    }

    protected static string? Header(HttpRequest request, string name)
    {
        var values = request.Headers[name];
        return StringValues.IsNullOrEmpty(values) ? null : values.ToString();
    }

    protected static string? BearerToken(HttpRequest request)
    {
        var value = Header(request, "Authorization");
        return value is not null && value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? value[7..].Trim() : null;
    }
}
