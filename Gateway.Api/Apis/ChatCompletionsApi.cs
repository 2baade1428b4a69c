using System.Globalization;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Switchboard.Contracts.Outcomes;
using Switchboard.Contracts.Routing;
using Switchboard.Gateway.Accounting;
using Switchboard.Gateway.Configuration;
using Switchboard.Gateway.Keys;
using Switchboard.Gateway.Routing;
using Switchboard.Gateway.Streaming;

namespace Switchboard.Gateway.Apis;

/// <summary>The OpenAI-compatible surface: <c>POST /v1/chat/completions</c> and <c>GET /v1/models</c>.</summary>
internal static class ChatCompletionsApi
{
    /// <summary>The hot path's route.</summary>
    public const string ChatPath = "/v1/chat/completions";

    public static RouteGroupBuilder MapChatCompletionsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1");
        // Plain request delegates over singletons resolved once: no per-request service scope (minimal API
        // parameter binding from RequestServices creates one per request) and no binding code on the hot path.
        var sp = app.ServiceProvider;
        var services = new GatewayServices(
            sp.GetRequiredService<IRoutingStore>(), sp.GetRequiredService<AttemptPipeline>(), sp.GetRequiredService<OutcomeRecorder>(),
            sp.GetRequiredService<Cascades.CascadeRunner>(), sp.GetRequiredService<KeyDirectory>(), sp.GetRequiredService<KeyAdmission>(),
            sp.GetRequiredService<IOptions<GatewayOptions>>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<GatewayExceptionHandler>());
        api.MapPost("/chat/completions", context => CreateChatCompletion(context, services));
        api.MapGet("/models", context => ListModels(context, services.Routing, services.Keys));
        return api;
    }

    /// <summary>Services of the hot path (all singletons), resolved once at start-up.</summary>
    internal readonly record struct GatewayServices(
        IRoutingStore Routing,
        AttemptPipeline Pipeline,
        OutcomeRecorder Recorder,
        Cascades.CascadeRunner Cascade,
        KeyDirectory Keys,
        KeyAdmission Admission,
        IOptions<GatewayOptions> Options,
        TimeProvider TimeProvider,
        GatewayExceptionHandler Guard);

    /// <summary>request -> key -> route -> attempts -> relay -> account.</summary>
    public static async Task CreateChatCompletion(HttpContext context, GatewayServices services)
    {
        // The exception handler is inlined here rather than a middleware around this endpoint: the middleware
        // awaits the endpoint in an async frame of its own, one more allocation and hop on every request.
        try
        {
            var received = services.TimeProvider.GetTimestamp();
            var requestId = RequestId(context);
            var config = services.Routing.Current;

            if (!KeyAuthentication.TryAuthenticate(context.Request, services.Keys.Current, out var key))
            {
                await OpenAIError.WriteAsync(context, 401, "Invalid or missing gateway key. Send it as 'Authorization: Bearer <key>' or 'api-key: <key>'.", code: "invalid_api_key").ConfigureAwait(false);
                return;
            }

            using var reader = new ChatRequestReader();
            if (await reader.ReadAsync(context, services.Options.Value.MaxRequestBodyBytes).ConfigureAwait(false) is { } problem)
            {
                await OpenAIError.WriteAsync(context, problem.Status, problem.Message, param: problem.Param, code: problem.Code).ConfigureAwait(false);
                return;
            }
            var request = reader.Request!;

            var task = context.Request.Headers["x-switchboard-task"].ToString();
            var routeName = request.Model;
            TaskConfig? taskConfig = null;
            if (task.Length > 0 && config.Document.Tasks.TryGetValue(task, out taskConfig))
            {
                routeName = taskConfig.Route;
            }
            if (key is not null && (!key.Allows(request.Model) || (routeName != request.Model && !key.Allows(routeName))))
            {
                await OpenAIError.WriteAsync(context, 403, $"The gateway key '{key.Name}' may not use the model '{request.Model}'.", param: "model", code: "model_not_allowed").ConfigureAwait(false);
                return;
            }
            var route = config.Resolve(routeName);
            if (route is null)
            {
                await OpenAIError.WriteAsync(context, 404, $"The model '{request.Model}' does not exist. GET /v1/models lists the routes and provider/model names this gateway serves.", param: "model", code: "model_not_found").ConfigureAwait(false);
                return;
            }
            var admission = await services.Admission.AdmitAsync(key, route, request, taskConfig, config).ConfigureAwait(false);
            if (admission.Refusal is { } refused)
            {
                if (refused.RetryAfter is { } wait)
                {
                    context.Response.Headers.RetryAfter = ((int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                }
                await OpenAIError.WriteAsync(context, refused.Status, refused.Message, refused.Type, refused.Param, refused.Code).ConfigureAwait(false);
                return;
            }

            using var state = new RequestState(requestId, request, route, config, services.TimeProvider, received, context.RequestAborted)
            {
                KeyName = key?.Name,
                Task = task.Length > 0 ? task : null,
                TraceParent = TraceHeader(context, "traceparent"),
                TraceState = TraceHeader(context, "tracestate"),
                Admission = admission,
            };
            if (route.Strategy == Switchboard.Contracts.Routing.RouteStrategies.Cascade)
            {
                await services.Cascade.ServeAsync(context, state).ConfigureAwait(false);
                return;
            }
            await services.Pipeline.RunAsync(state).ConfigureAwait(false);

            long? firstByte = null;
            int status;
            if (state.Winner is { } winner)
            {
                SetGatewayHeaders(context, state, winner);
                firstByte = services.TimeProvider.GetTimestamp();
                status = 200;
                if (winner.Completion is { } completion)
                {
                    winner.Succeed();
                    var cost = services.Recorder.CostOf(state, winner);
                    context.Response.StatusCode = 200;
                    context.Response.ContentType = "application/json";
                    context.Response.ContentLength = completion.Body.Length;
                    context.Response.Headers["x-switchboard-cost-usd"] = cost.ToString(CultureInfo.InvariantCulture);
                    await context.Response.Body.WriteAsync(completion.Body, context.RequestAborted).ConfigureAwait(false);
                }
                else
                {
                    context.Response.StatusCode = 200;
                    context.Response.ContentType = "text/event-stream";
                    context.Response.Headers.CacheControl = "no-cache";
                    context.Response.Headers["X-Accel-Buffering"] = "no";
                    context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
                    await StreamRelay.RelayAsync(winner, context, services.TimeProvider, state.Token, TimeSpan.FromMilliseconds(services.Options.Value.StreamIdleTimeoutMs)).ConfigureAwait(false);
                }
                services.Pipeline.Report(winner);
            }
            else if (state.ClientGone)
            {
                status = 499;
            }
            else
            {
                status = await WriteFailureAsync(context, state).ConfigureAwait(false);
            }

            try
            {
                await context.Response.CompleteAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or InvalidOperationException)
            {
                // The client left; accounting still runs.
            }
            await services.Recorder.RecordAsync(state, context.RequestAborted.IsCancellationRequested && state.Winner?.Outcome == AttemptOutcome.Cancelled ? 499 : status, firstByte).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away mid-read: nobody to answer (the middleware would log it at debug and move on).
        }
        catch (Exception ex) when (!context.Response.HasStarted)
        {
            context.Response.Clear();
            await services.Guard.TryHandleAsync(context, ex, context.RequestAborted).ConfigureAwait(false);
        }
    }

    internal static async Task<int> WriteFailureAsync(HttpContext context, RequestState state)
    {
        var last = state.Attempts.Count > 0 ? state.Attempts[^1] : null;
        if (last is not null)
        {
            SetGatewayHeaders(context, state, state.FinalError ?? last);
        }
        if (state.FinalError is { } final)
        {
            // A request the provider refused as invalid: the client's error, relayed as it is, never retried.
            var status = final.Status is >= 400 and < 500 ? final.Status : 400;
            var upstream = final.UpstreamError;
            var type = upstream?.Type is { } t && !t.Contains("context_length", StringComparison.Ordinal) ? t : OpenAIError.TypeFor(status);
            var code = upstream?.Type is { } c && c.Contains("context_length", StringComparison.Ordinal) ? "context_length_exceeded" : null;
            await OpenAIError.WriteAsync(context, status, upstream?.Message ?? final.ErrorMessage ?? "The provider refused the request.", type, final.ErrorParam, code).ConfigureAwait(false);
            return status;
        }
        var allTimedOut = state.Attempts.Count > 0 && state.Attempts.TrueForAll(a => a.Error == ErrorClass.Timeout);
        var reasons = string.Join("; ", state.Attempts.ConvertAll(a => $"#{a.Number} {a.Target.Provider.Name}/{a.Target.Model}: {a.ErrorMessage ?? a.Error?.ToString() ?? "failed"}"));
        if (allTimedOut)
        {
            await OpenAIError.WriteAsync(context, 504, $"Every target timed out ({state.Attempts.Count} attempts): {reasons}", "timeout_error", code: "upstream_timeout").ConfigureAwait(false);
            return 504;
        }
        var message = state.Attempts.Count == 0
            ? "No attempt could be started for this route."
            : $"Every target failed ({state.Attempts.Count} attempts): {reasons}";
        await OpenAIError.WriteAsync(context, 502, message, "upstream_error", code: "all_targets_failed").ConfigureAwait(false);
        return 502;
    }

    internal static void SetGatewayHeaders(HttpContext context, RequestState state, Attempt attempt)
    {
        var headers = context.Response.Headers;
        headers["x-switchboard-provider"] = attempt.Target.Provider.Name;
        headers["x-switchboard-model"] = attempt.Target.Model;
        headers["x-switchboard-attempts"] = state.Attempts.Count.ToString(CultureInfo.InvariantCulture);
        headers["x-switchboard-hedged"] = state.Hedged ? "true" : "false";
        var warnings = state.Warnings.Items;
        if (warnings.Count > 0)
        {
            headers["x-switchboard-warning"] = warnings.Count == 1 ? new StringValues(warnings[0]) : new StringValues([.. warnings]);
        }
    }

    private static string RequestId(HttpContext context)
    {
        var given = context.Request.Headers["x-request-id"];
        // Echoed as a response header: only visible ASCII, or Kestrel refuses to write it (a 500).
        var id = given.Count > 0 && given[0] is { Length: > 0 and <= 200 } g && !g.AsSpan().ContainsAnyExceptInRange('!', '~') ? g : NewRequestId();
        context.Response.Headers["x-request-id"] = id;
        return id;
    }

    /// <summary>A W3C trace context header worth forwarding: one value, visible ASCII (and spaces), bounded.</summary>
    private static string? TraceHeader(HttpContext context, string name)
    {
        var values = context.Request.Headers[name];
        return values.Count == 1 && values[0] is { Length: > 0 and <= 512 } v && !v.AsSpan().ContainsAnyExceptInRange(' ', '~') ? v : null;
    }

    private static readonly ulong IdSuffix = BitConverter.ToUInt64(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));
    private static long _idCounter;

    /// <summary>
    /// <c>req_</c> and 32 hex digits, as a GUID would give, unique across processes: a counter and a random
    /// per-process suffix. A GUID per request cost a getrandom system call on the hot path (2.5% of the gateway's CPU).
    /// </summary>
    internal static string NewRequestId() => string.Create(36, (ulong)Interlocked.Increment(ref _idCounter), static (span, n) =>
    {
        "req_".CopyTo(span);
        // Counter first: a prefix cut of the id (Gemini tool-call ids keep 32 characters) stays unique.
        n.TryFormat(span[4..], out _, "x16", CultureInfo.InvariantCulture);
        IdSuffix.TryFormat(span[20..], out _, "x16", CultureInfo.InvariantCulture);
    });

    public static async Task ListModels(HttpContext context, IRoutingStore routing, KeyDirectory keys)
    {
        RequestId(context);
        var config = routing.Current;
        if (!KeyAuthentication.TryAuthenticate(context.Request, keys.Current, out var key))
        {
            await OpenAIError.WriteAsync(context, 401, "Invalid or missing gateway key.", code: "invalid_api_key").ConfigureAwait(false);
            return;
        }
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(1024);
        using (var writer = new System.Text.Json.Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("object", "list");
            writer.WriteStartArray("data");
            foreach (var name in config.ModelNames)
            {
                if (key is not null && !key.Allows(name))
                {
                    continue;
                }
                writer.WriteStartObject();
                writer.WriteString("id", name);
                writer.WriteString("object", "model");
                writer.WriteNumber("created", 0);
                writer.WriteString("owned_by", name.Contains('/', StringComparison.Ordinal) ? name[..name.IndexOf('/', StringComparison.Ordinal)] : "switchboard");
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = buffer.WrittenCount;
        await context.Response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted).ConfigureAwait(false);
    }
}
