using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Features;
using Switchboard.Contracts.Outcomes;
using Switchboard.Contracts.Routing;
using Switchboard.Gateway.Accounting;
using Switchboard.Gateway.Apis;
using Switchboard.Gateway.Configuration;
using Switchboard.Gateway.Providers;
using Switchboard.Gateway.Routing;
using Switchboard.Gateway.Streaming;

namespace Switchboard.Gateway.Cascades;

/// <summary>
/// The <c>cascade</c> strategy: the route's targets are tiers, cheapest first. Each tier runs through the normal
/// attempt pipeline (retries, hedging, budgets and accounting work inside it; a failed tier escalates), its
/// answer is scored, and it is returned when the score reaches minConfidence; the last tier's answer is returned
/// whatever its score (and if the last tier fails, the best earlier answer is). A streaming request holds the
/// answer until it is scored and replays it as a stream, so the client's first token waits for the whole cheap
/// answer (its generation time plus scoring); with <c>cascadeStreaming: false</c> streams go straight to the
/// last tier instead. All tiers share the request's deadline and its attempt numbering.
/// </summary>
internal sealed partial class CascadeRunner(AttemptPipeline pipeline, OutcomeRecorder recorder, TimeProvider timeProvider, ILogger<CascadeRunner> logger)
{
    private readonly Dictionary<string, ICascadeScorer> _scorers = new ICascadeScorer[]
    {
        new LogprobsScorer(), new SchemaScorer(), new JudgeScorer(), new AgreementScorer(),
    }.ToDictionary(s => s.Name, StringComparer.Ordinal);

    /// <summary>One scored tier answer; Reported once health and accounting saw it as a success.</summary>
    private sealed record TierAnswer(int Tier, Attempt Attempt, double? Score, bool Reported = false);

    public async Task ServeAsync(HttpContext context, RequestState state)
    {
        var route = state.Route;
        var client = state.Request;
        var owned = new List<ChatRequest>();
        long? firstByte = null;
        var status = 0;
        try
        {
            var policy = CascadePolicy.For(state);
            if (client.Stream && !policy.Streaming)
            {
                var last = route.Targets.Length - 1;
                await RunTierAsync(state, route, last, route.Targets[last], client).ConfigureAwait(false);
                if (state.Winner is { } streamed)
                {
                    SetHeaders(context, state, streamed, last, null);
                    firstByte = timeProvider.GetTimestamp();
                    status = 200;
                    StartStream(context);
                    await StreamRelay.RelayAsync(streamed, context, timeProvider, state.Token).ConfigureAwait(false);
                    pipeline.Report(streamed);
                }
            }
            else
            {
                var answer = await RunTiersAsync(state, route, policy, client, owned).ConfigureAwait(false);
                if (answer is not null)
                {
                    state.Winner = answer.Attempt;
                    answer.Attempt.Succeed();
                    SetHeaders(context, state, answer.Attempt, answer.Tier, answer.Score);
                    firstByte = timeProvider.GetTimestamp();
                    status = 200;
                    await WriteAnswerAsync(context, state, client, answer.Attempt.Completion!).ConfigureAwait(false);
                    if (!answer.Reported)
                    {
                        pipeline.Report(answer.Attempt);
                    }
                }
            }
            if (state.Winner is null)
            {
                state.Route = route;
                status = state.ClientGone ? 499 : await ChatCompletionsApi.WriteFailureAsync(context, state).ConfigureAwait(false);
            }
            try
            {
                await context.Response.CompleteAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or InvalidOperationException)
            {
                // The client left; accounting still runs.
            }
        }
        finally
        {
            state.Route = route;
            state.Request = client;
            await recorder.RecordAsync(state, context.RequestAborted.IsCancellationRequested && state.Winner?.Outcome == AttemptOutcome.Cancelled ? 499 : status, firstByte).ConfigureAwait(false);
            foreach (var r in owned)
            {
                r.Dispose();
            }
        }
    }

    private async Task<TierAnswer?> RunTiersAsync(RequestState state, ResolvedRoute route, CascadePolicy policy, ChatRequest client, List<ChatRequest> owned)
    {
        var scorer = _scorers.TryGetValue(policy.Scorer, out var s) ? s : _scorers[Scorers.Logprobs];
        var clientBody = CascadeBodies.Parse(client);
        TierAnswer? best = null;
        for (var tier = 0; tier < route.Targets.Length; tier++)
        {
            if (state.Token.IsCancellationRequested)
            {
                break;
            }
            var target = route.Targets[tier];
            var last = tier == route.Targets.Length - 1;
            var tierBody = CascadeBodies.ForTier(clientBody, scorer.WantsLogprobs && target.Provider.Type == ProviderTypes.OpenAI);
            var tierRequest = CascadeBodies.ToRequest(tierBody);
            owned.Add(tierRequest);
            var winner = await RunTierAsync(state, route, tier, target, tierRequest).ConfigureAwait(false);
            if (winner?.Completion is not { } completion)
            {
                if (state.ClientGone)
                {
                    return null;
                }
                LogTierFailed(logger, route.Name, tier, target.ToString());
                continue;
            }
            state.Winner = null;
            double? score = null;
            // The last tier's answer is returned whatever its score: score it only when that costs nothing.
            if (!last || scorer is LogprobsScorer or SchemaScorer)
            {
                var context = new ScoringContext
                {
                    Answer = CompletionAnswer.Read(completion.Body),
                    Policy = policy,
                    ClientRequest = client,
                    Config = state.Config,
                    TierBody = (JsonObject)tierBody.DeepClone(),
                    AskAsync = (body, other) => AskAsync(state, route, tier, other ?? route with { Strategy = RouteStrategies.Priority, Targets = [target] }, body, owned),
                };
                score = await scorer.ScoreAsync(context).ConfigureAwait(false);
            }
            winner.Confidence = score;
            var answer = new TierAnswer(tier, winner, score);
            if (last || score >= policy.MinConfidence)
            {
                return answer;
            }
            LogEscalating(logger, route.Name, tier, score ?? 0, policy.MinConfidence);
            // An answer the cascade paid for but did not return: a success for health and accounting.
            winner.Succeed();
            pipeline.Report(winner);
            if (best is null || (score ?? 0) > (best.Score ?? 0))
            {
                best = answer with { Reported = true };
            }
        }
        return best;
    }

    /// <summary>Runs one tier through the attempt pipeline; its attempts carry the tier, the first an escalation's kind.</summary>
    private async Task<Attempt?> RunTierAsync(RequestState state, ResolvedRoute route, int tier, Target target, ChatRequest request)
    {
        var from = state.Attempts.Count;
        state.Route = TierRoute(route, target, state);
        state.Request = request;
        state.FirstKind = tier == 0 ? AttemptKind.Primary : AttemptKind.Escalation;
        state.Winner = null;
        state.FinalError = null;
        await pipeline.RunAsync(state).ConfigureAwait(false);
        Tag(state, from, tier);
        return state.Winner;
    }

    /// <summary>A scorer's extra request (judge, second sample), accounted as attempts of the tier it scores.</summary>
    private async Task<CompletionAnswer?> AskAsync(RequestState state, ResolvedRoute cascade, int tier, ResolvedRoute to, JsonObject body, List<ChatRequest> owned)
    {
        var request = CascadeBodies.ToRequest(body);
        owned.Add(request);
        var from = state.Attempts.Count;
        var (route, kind, finalError) = (state.Route, state.FirstKind, state.FinalError);
        state.Route = to with { Name = cascade.Name, MaxAttempts = state.Attempts.Count + to.MaxAttempts };
        state.Request = request;
        // Not the first attempt of the request, nor an escalation: another attempt within the tier.
        state.FirstKind = AttemptKind.Retry;
        state.Winner = null;
        try
        {
            await pipeline.RunAsync(state).ConfigureAwait(false);
            Tag(state, from, tier);
            if (state.Winner is not { Completion: { } completion } winner)
            {
                return null;
            }
            winner.Succeed();
            pipeline.Report(winner);
            return CompletionAnswer.Read(completion.Body);
        }
        finally
        {
            state.Winner = null;
            (state.Route, state.FirstKind, state.FinalError) = (route, kind, finalError);
        }
    }

    private static ResolvedRoute TierRoute(ResolvedRoute cascade, Target target, RequestState state) =>
        cascade with { Strategy = RouteStrategies.Priority, Targets = [target], MaxAttempts = state.Attempts.Count + cascade.MaxAttempts };

    private static void Tag(RequestState state, int from, int tier)
    {
        for (var i = from; i < state.Attempts.Count; i++)
        {
            state.Attempts[i].Tier = tier;
        }
    }

    private async Task WriteAnswerAsync(HttpContext context, RequestState state, ChatRequest client, TranslatedCompletion completion)
    {
        var keepLogprobs = CascadeBodies.ClientWantsLogprobs(client);
        if (!client.Stream)
        {
            // What the cascade paid for this answer: every tier asked and every scorer call.
            var cost = 0m;
            foreach (var a in state.Attempts)
            {
                if (a.Completion is not null)
                {
                    cost += recorder.CostOf(state, a);
                }
            }
            var body = CascadeBodies.ForClient(completion.Body, keepLogprobs);
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/json";
            context.Response.ContentLength = body.Length;
            context.Response.Headers["x-switchboard-cost-usd"] = cost.ToString(CultureInfo.InvariantCulture);
            await context.Response.Body.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
            return;
        }
        StartStream(context);
        var writer = context.Response.BodyWriter;
        CascadeBodies.WriteReplay(completion.Body.Span, client.IncludeUsage, keepLogprobs, writer);
        await writer.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }

    private static void StartStream(HttpContext context)
    {
        context.Response.StatusCode = 200;
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        context.Response.Headers["X-Accel-Buffering"] = "no";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
    }

    private static void SetHeaders(HttpContext context, RequestState state, Attempt attempt, int tier, double? score)
    {
        ChatCompletionsApi.SetGatewayHeaders(context, state, attempt);
        context.Response.Headers["x-switchboard-tier"] = tier.ToString(CultureInfo.InvariantCulture);
        if (score is { } s)
        {
            context.Response.Headers["x-switchboard-confidence"] = ScoreFormat.Header(s);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Cascade {Route}: tier {Tier} scored {Score:0.###} < {MinConfidence}, escalating")]
    private static partial void LogEscalating(ILogger logger, string route, int tier, double score, double minConfidence);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Cascade {Route}: tier {Tier} ({Target}) gave no answer, escalating")]
    private static partial void LogTierFailed(ILogger logger, string route, int tier, string target);
}
