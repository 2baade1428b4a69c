using System.Diagnostics.Metrics;
using System.Text.Json;
using Microsoft.AspNetCore.Connections;
using Switchboard.Simulator.Behaviour;
using Switchboard.Simulator.Generation;
using Switchboard.Simulator.Profiles;
using Switchboard.Simulator.Wire;

namespace Switchboard.Simulator.Serving;

// The whole life of one simulated request, the same for every protocol: find the profile, check headers, read the
// body, admit against the rate window, draw the plan, then hang, fail, or answer (paced, possibly cut or broken).
internal sealed partial class ExchangeRunner(ProfileStore store, TimeProvider time, IMeterFactory meters, ILogger<ExchangeRunner> logger)
{
    public const string MeterName = "Switchboard.Simulator";
    private readonly Counter<long> _outcomes = meters.Create(MeterName).CreateCounter<long>("switchboard.simulator.requests", "{request}", "Simulated requests by provider and outcome");

    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 64 };

    public async Task RunAsync(HttpContext context, Dialect dialect)
    {
        var started = time.GetTimestamp();
        var name = (string)context.Request.RouteValues["name"]!;
        if (!store.TryGet(name, out var state) || state.Profile.Type != dialect.Type)
        {
            await RefuseAsync(context, dialect, StatusCodes.Status404NotFound, $"No simulated {dialect.Type} provider named '{name}'.");
            return;
        }

        var profile = state.Profile;
        state.Stats.Started();
        var aborted = context.RequestAborted;
        try
        {
            var outcome = await ServeAsync(context, dialect, state, profile, started, aborted);
            Count(state, outcome);
        }
        catch (Exception ex) when (aborted.IsCancellationRequested && ex is OperationCanceledException or IOException or ConnectionResetException)
        {
            Count(state, Outcome.Cancelled);
        }
    }

    // Where each protocol carries the response schema, for error messages that name it.
    private static string SchemaField(Dialect dialect) => dialect.Type switch
    {
        ProviderTypes.Anthropic => "output_format.schema",
        ProviderTypes.Gemini => "generationConfig.responseSchema",
        _ => "response_format.json_schema.schema",
    };

    private enum Outcome
    {
        Completed,
        Failed,
        Cancelled,
    }

    private void Count(ProviderState state, Outcome outcome)
    {
        switch (outcome)
        {
            case Outcome.Completed:
                state.Stats.Completed();
                break;
            case Outcome.Failed:
                state.Stats.Failed();
                break;
            default:
                state.Stats.Cancelled();
                break;
        }

        if (_outcomes.Enabled)
        {
            _outcomes.Add(1, new KeyValuePair<string, object?>("provider", state.Name), new KeyValuePair<string, object?>("outcome", OutcomeName(outcome)));
        }
    }

    private static string OutcomeName(Outcome outcome) => outcome switch
    {
        Outcome.Completed => "completed",
        Outcome.Failed => "failed",
        _ => "cancelled",
    };

    private async Task<Outcome> ServeAsync(HttpContext context, Dialect dialect, ProviderState state, ProviderProfile profile, long started, CancellationToken aborted)
    {
        if (dialect.CheckHeaders(context.Request, profile) is { } headerRefusal)
        {
            await RefuseAsync(context, dialect, headerRefusal.Status, headerRefusal.Message);
            return Outcome.Failed;
        }

        // The body is copied from the request pipe into a pooled buffer the document parses in place (no Stream
        // adapter, no second copy); the buffer goes back to the pool after the document is disposed.
        using var json = await ReadBodyAsync(context.Request, aborted);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json.WrittenMemory, DocumentOptions);
        }
        catch (JsonException ex)
        {
            await RefuseAsync(context, dialect, StatusCodes.Status400BadRequest, $"We could not parse the JSON body of your request. ({ex.Message})");
            return Outcome.Failed;
        }

        using (document)
        {
            var request = new GenerationRequest();
            if ((dialect.Read(document.RootElement, context, request) ?? SchemaRules.Check(request, SchemaField(dialect))) is { } bodyRefusal)
            {
                await RefuseAsync(context, dialect, bodyRefusal.Status, bodyRefusal.Message);
                return Outcome.Failed;
            }

            request.Label = LabelFromHeaders(context.Request, Seed(document.RootElement)) ?? LabelPrompt.Parse(request.LastUserText, Seed(document.RootElement));
            var rate = state.Rate.Admit(profile.RequestsPerMinute, profile.TokensPerMinute, request.Prompt.Tokens + profile.OutputTokens);
            dialect.AddHeaders(context.Response, rate);
            if (rate.Limited)
            {
                context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(rate.ResetIn.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                await RefuseAsync(context, dialect, StatusCodes.Status429TooManyRequests,
                    $"Rate limit reached for requests on {state.Name}: limit {profile.RequestsPerMinute} per minute. Please try again later.");
                return Outcome.Failed;
            }

            var sequence = state.NextSequence();
            var plan = ResponsePlan.Draw(profile, sequence);
            switch (plan.Fault)
            {
                case Fault.Hang:
                    LogHang(logger, state.Name);
                    await Task.Delay(Timeout.InfiniteTimeSpan, time, aborted);
                    return Outcome.Cancelled;
                case Fault.Failure:
                    if (profile.FailureStatus == StatusCodes.Status429TooManyRequests)
                    {
                        context.Response.Headers.RetryAfter = "1";
                    }

                    await RefuseAsync(context, dialect, profile.FailureStatus, FailureMessage(profile.FailureStatus));
                    return Outcome.Failed;
            }

            var answer = AnswerComposer.Compose(request, profile, dialect.IdPrefix, time.GetUtcNow().ToUnixTimeSeconds(), sequence);
            return request.Stream
                ? await StreamAsync(context, dialect, answer, request, plan, started, aborted)
                : await AnswerAsync(context, dialect, answer, request, plan, started, aborted);
        }
    }

    private static async Task<PooledBufferWriter> ReadBodyAsync(HttpRequest request, CancellationToken aborted)
    {
        var body = new PooledBufferWriter(request.ContentLength is > 0 and <= 64 * 1024 and var length ? (int)length : 4096);
        try
        {
            var reader = request.BodyReader;
            while (true)
            {
                var result = await reader.ReadAsync(aborted);
                foreach (var segment in result.Buffer)
                {
                    body.Write(segment.Span);
                }

                // Consumed as it arrives, so a body larger than Kestrel's request buffer never stalls the connection.
                reader.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted)
                {
                    return body;
                }
            }
        }
        catch
        {
            body.Dispose();
            throw;
        }
    }

    private async Task<Outcome> AnswerAsync(HttpContext context, Dialect dialect, Answer answer, GenerationRequest request, ResponsePlan plan, long started, CancellationToken aborted)
    {
        using var body = new PooledBufferWriter(2048);
        dialect.WriteBody(body, answer, request);
        // A non-streaming answer arrives when the last token has been generated.
        await WaitUntilAsync(started, plan.DueAt(Math.Max(0, answer.OutputTokens - 1)), aborted);

        var response = context.Response;
        response.ContentType = "application/json";
        var bytes = body.WrittenMemory;
        switch (plan.Fault)
        {
            case Fault.Malformed:
                bytes = bytes[..(bytes.Length / 2)];
                break;
            case Fault.Disconnect:
                response.ContentLength = bytes.Length;
                await response.BodyWriter.WriteAsync(bytes[..(bytes.Length / 2)], aborted);
                context.Abort();
                return Outcome.Failed;
        }

        response.ContentLength = bytes.Length;
        await response.BodyWriter.WriteAsync(bytes, aborted);
        return plan.Fault == Fault.Malformed ? Outcome.Failed : Outcome.Completed;
    }

    private async Task<Outcome> StreamAsync(HttpContext context, Dialect dialect, Answer answer, GenerationRequest request, ResponsePlan plan, long started, CancellationToken aborted)
    {
        var response = context.Response;
        response.ContentType = request.SseFraming ? "text/event-stream; charset=utf-8" : "application/json; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        // Headers go out at once, as real providers send them; the first token still waits for the TTFT.
        await response.BodyWriter.FlushAsync(aborted);

        var malformedAt = Math.Max(0, answer.OutputTokens / 2);
        using var buffer = new PooledBufferWriter(1024);
        foreach (var token in dialect.WriteStream(buffer, answer, request))
        {
            await SendAsync(response, buffer, aborted);

            if (plan.Fault == Fault.Malformed && token >= malformedAt)
            {
                buffer.Write(dialect.MalformedEvent);
                await SendAsync(response, buffer, aborted);
                return Outcome.Failed;
            }

            if (plan.Fault == Fault.StreamError && token >= plan.DisconnectAfter)
            {
                dialect.WriteStreamError(buffer, "Overloaded (injected by the simulator)");
                await SendAsync(response, buffer, aborted);
                return Outcome.Failed;
            }

            await WaitUntilAsync(started, plan.DueAt(token), aborted);
            if (plan.Fault == Fault.Disconnect && token >= plan.DisconnectAfter)
            {
                // The stream stalls and the connection drops when the next token would have come.
                context.Abort();
                return Outcome.Failed;
            }
        }

        if (plan.Fault == Fault.StreamError)
        {
            buffer.Clear();
            dialect.WriteStreamError(buffer, "Overloaded (injected by the simulator)");
            await SendAsync(response, buffer, aborted);
            return Outcome.Failed;
        }

        if (plan.Fault == Fault.Disconnect)
        {
            // Shorter than the cut-off point: the stream still ends without its closing events.
            context.Abort();
            return Outcome.Failed;
        }

        await SendAsync(response, buffer, aborted);
        return Outcome.Completed;
    }

    private static async ValueTask SendAsync(HttpResponse response, PooledBufferWriter buffer, CancellationToken aborted)
    {
        if (buffer.WrittenCount == 0)
        {
            return;
        }

        await response.BodyWriter.WriteAsync(buffer.WrittenMemory, aborted);
        buffer.Clear();
    }

    private Task WaitUntilAsync(long started, TimeSpan due, CancellationToken aborted)
    {
        var delay = due - time.GetElapsedTime(started);
        // Timers count whole milliseconds and truncate: round up so that nothing is ever written before it is due.
        return delay > TimeSpan.Zero ? Task.Delay(TimeSpan.FromMilliseconds(Math.Ceiling(delay.TotalMilliseconds)), time, aborted) : Task.CompletedTask;
    }

    private static async Task RefuseAsync(HttpContext context, Dialect dialect, int status, string message)
    {
        using var body = new PooledBufferWriter(512);
        dialect.WriteError(body, status, message);
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = "application/json";
        response.ContentLength = body.WrittenCount;
        await response.BodyWriter.WriteAsync(body.WrittenMemory, context.RequestAborted);
    }

    // Labelled mode: x-sim-item, x-sim-labels: a,b,c and x-sim-answer all present (or the prompt marker, LabelPrompt).
    private static LabelRequest? LabelFromHeaders(HttpRequest request, long? seed)
    {
        var headers = request.Headers;
        if (!headers.TryGetValue("x-sim-item", out var item) || !headers.TryGetValue("x-sim-labels", out var labels)
            || !headers.TryGetValue("x-sim-answer", out var answer))
        {
            return null;
        }

        var list = labels.ToString().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return list.Length == 0 ? null : new LabelRequest(item.ToString(), list, answer.ToString().Trim(), seed);
    }

    // OpenAI's sampling seed: another seed is another sample of a labelled item.
    private static long? Seed(JsonElement body) =>
        body.ValueKind == JsonValueKind.Object && body.TryGetProperty("seed", out var seed) && seed.TryGetInt64(out var value) ? value : null;

    private static string FailureMessage(int status) => status switch
    {
        429 => "Rate limit reached. Please try again later. (injected by the simulator)",
        500 => "The server had an error while processing your request. (injected by the simulator)",
        502 => "Bad gateway. (injected by the simulator)",
        503 => "The engine is currently overloaded, please try again later. (injected by the simulator)",
        504 => "Gateway timeout. (injected by the simulator)",
        529 => "Overloaded (injected by the simulator)",
        _ => "Simulated failure. (injected by the simulator)",
    };

    [LoggerMessage(Level = LogLevel.Debug, Message = "Simulated provider {Provider} hangs on a request until the client gives up")]
    private static partial void LogHang(ILogger logger, string provider);
}
