using Microsoft.Extensions.Options;
using Switchboard.Contracts.Outcomes;
using Switchboard.Gateway.Configuration;
using Switchboard.Gateway.Health;
using Switchboard.Gateway.Keys;
using Switchboard.Gateway.Limits;
using Switchboard.Gateway.Providers;

namespace Switchboard.Gateway.Routing;

/// <summary>Everything the pipeline knows about one client request; owns the request deadline.</summary>
internal sealed class RequestState : IDisposable
{
    // The deadline's timer, also cancelled when the client goes away (a registration, not a second, linked source).
    private readonly CancellationTokenSource _request;
    private readonly CancellationTokenRegistration _clientRegistration;

    public RequestState(string requestId, ChatRequest request, ResolvedRoute route, GatewayConfig config, TimeProvider timeProvider, long receivedTimestamp, CancellationToken clientAborted)
    {
        RequestId = requestId;
        Request = request;
        Route = route;
        Config = config;
        ReceivedAt = timeProvider.GetUtcNow();
        ReceivedTimestamp = receivedTimestamp;
        ClientAborted = clientAborted;
        _request = new CancellationTokenSource(route.RequestTimeout, timeProvider);
        _clientRegistration = clientAborted.UnsafeRegister(static s => Attempt.CancelQuietly((CancellationTokenSource)s!), _request);
    }

    public string RequestId { get; }
    /// <summary>Swapped by a cascade for each tier's request.</summary>
    public ChatRequest Request { get; set; }
    /// <summary>Swapped by a cascade for each tier (one target); restored before accounting.</summary>
    public ResolvedRoute Route { get; set; }
    public GatewayConfig Config { get; }
    public string? KeyName { get; init; }
    public string? Task { get; init; }
    /// <summary>The client's W3C trace context headers (null when absent or malformed).</summary>
    public string? TraceParent { get; init; }
    public string? TraceState { get; init; }

    /// <summary>Admission's decision (key, cost estimate and cap, budget reservation), settled by the recorder.</summary>
    public Admission Admission { get; init; } = Admission.Free;
    public WarningSet Warnings { get; } = new();
    public DateTimeOffset ReceivedAt { get; }
    public long ReceivedTimestamp { get; }
    public CancellationToken ClientAborted { get; }

    /// <summary>Cancelled at the request deadline or when the client goes away.</summary>
    public CancellationToken Token => _request.Token;
    public List<Attempt> Attempts { get; } = new(4);
    public bool Hedged { get; set; }
    public Attempt? Winner { get; set; }
    public Attempt? FinalError { get; set; }
    /// <summary>Kind of the first attempt a pipeline run starts (a cascade's higher tiers: Escalation).</summary>
    public AttemptKind FirstKind { get; set; } = AttemptKind.Primary;
    public bool ClientGone { get; set; }

    public void Dispose()
    {
        foreach (var a in Attempts)
        {
            a.Dispose();
        }
        _clientRegistration.Dispose();
        _request.Dispose();
    }
}

/// <summary>
/// The attempt pipeline (hand-rolled on <see cref="TimeProvider"/>; see the report for why not Polly hedging):
/// one deadline per request across every attempt; a per-attempt timeout; fast failures move to the next target
/// at once; non-retryable client errors end the request as they are; a target that already failed in this
/// request is retried only after an exponential, jittered backoff (Retry-After honoured up to a cap); if the
/// current attempt has no first token by <c>firstTokenTimeoutMs</c>, the next target starts in parallel and the
/// first to produce a token wins, the others are cancelled. <c>maxAttempts</c> counts every attempt.
/// </summary>
internal sealed class AttemptPipeline(
    IDeploymentHealth health,
    IRateLimitHeadroom headroom,
    ProviderLimiter limits,
    RetryBudget retryBudget,
    CredentialResolver credentials,
    CredentialReporter credentialReports,
    TimeProvider timeProvider,
    IOptions<GatewayOptions> options)
{
    /// <summary>
    /// Runs attempts until one can be committed to (<see cref="RequestState.Winner"/>), a non-retryable error
    /// ends the request (<see cref="RequestState.FinalError"/>), or attempts / deadline run out (both null).
    /// </summary>
    public async Task RunAsync(RequestState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var route = state.Route;
        var targets = TargetOrder.For(route, new RoutingSignals(health, headroom, limits, state.Config.Prices, state.Admission.Estimate, state.Admission.MaxCostUsd));
        var clientAborted = state.ClientAborted;
        var requestToken = state.Token;
        var stop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stopRegistration = requestToken.Register(static s => ((TaskCompletionSource)s!).TrySetResult(), stop);

        var running = new List<Attempt>(2);
        var next = 0;
        var tried = new HashSet<Target>();
        var retries = 0;
        Task? hedgeTimer = null;
        Task? retryTimer = null;
        var waits = new List<Task>(4);

        bool CanStart() => state.Attempts.Count < route.MaxAttempts && !requestToken.IsCancellationRequested;

        void StartNext(AttemptKind kind)
        {
            var target = targets[next % targets.Length];
            next++;
            tried.Add(target);
            var context = new AttemptContext
            {
                Request = state.Request,
                Provider = target.Provider.Endpoint,
                Model = target.Model,
                DefaultMaxTokens = route.DefaultMaxTokens,
                ResponseId = state.RequestId,
                CreatedUnix = state.ReceivedAt.ToUnixTimeSeconds(),
                Warnings = state.Warnings,
                TraceParent = state.TraceParent,
                TraceState = state.TraceState,
            };
            var attempt = new Attempt(state.Attempts.Count + 1, kind, target, context, route.AttemptTimeout, requestToken, timeProvider)
            {
                Lease = limits.Start(target.Provider),
            };
            state.Attempts.Add(attempt);
            running.Add(attempt);
            if (kind == AttemptKind.Hedge)
            {
                state.Hedged = true;
            }
            attempt.Start();
            hedgeTimer = route.FirstTokenTimeout is { } ft && targets.Length > 0 ? Task.Delay(ft, timeProvider, requestToken) : null;
        }

        if (state.FirstKind == AttemptKind.Primary)
        {
            retryBudget.OnFirstAttempt();
        }
        StartNext(state.FirstKind);
        while (true)
        {
            if (running.Count == 0 && retryTimer is null)
            {
                if (!CanStart())
                {
                    break;
                }
                var target = targets[next % targets.Length];
                if (!tried.Contains(target))
                {
                    StartNext(AttemptKind.Retry);
                    continue;
                }
                var delay = Backoff(++retries, state.Attempts[^1].RetryAfter);
                if (delay is null || timeProvider.GetUtcNow() + delay.Value >= state.ReceivedAt + route.RequestTimeout
                    || !retryBudget.TryTakeExtra())
                {
                    // Every target already failed once: a retry adds load to a failing provider, so it needs budget.
                    break;
                }
                retryTimer = Task.Delay(delay.Value, timeProvider, requestToken);
            }

            waits.Clear();
            foreach (var a in running)
            {
                waits.Add(a.Run);
            }
            if (hedgeTimer is not null)
            {
                waits.Add(hedgeTimer);
            }
            if (retryTimer is not null)
            {
                waits.Add(retryTimer);
            }
            waits.Add(stop.Task);
            var done = await Task.WhenAny(waits).ConfigureAwait(false);

            if (done == stop.Task)
            {
                state.ClientGone = clientAborted.IsCancellationRequested;
                foreach (var a in running)
                {
                    a.Cancel(state.ClientGone ? CancelReason.ClientGone : CancelReason.Deadline);
                }
                await WhenAllQuietly(running).ConfigureAwait(false);
                foreach (var a in running)
                {
                    Report(a);
                }
                break;
            }
            if (done == retryTimer)
            {
                retryTimer = null;
                if (CanStart())
                {
                    StartNext(AttemptKind.Retry);
                }
                continue;
            }
            if (done == hedgeTimer)
            {
                hedgeTimer = null;
                if (running.Count > 0 && CanStart() && retryBudget.TryTakeExtra())
                {
                    StartNext(AttemptKind.Hedge);
                }
                continue;
            }

            var finished = (Task<bool>)done;
            var index = 0;
            while (running[index].Run != finished)
            {
                index++; // a loop, not Find: no closure and delegate per finished attempt
            }
            var attempt = running[index];
            running.RemoveAt(index);
            if (finished.Result)
            {
                // Learn the provider's remaining limit now, not after the answer is relayed: requests arriving
                // meanwhile would still be sent into a limit that is already used up.
                ObserveHeadroom(attempt);
                state.Winner = attempt;
                foreach (var loser in running)
                {
                    loser.Cancel(CancelReason.LostHedge);
                }
                // Losers finish in the background; accounting awaits them after the response is complete.
                break;
            }
            Report(attempt);
            if (!attempt.Retryable)
            {
                state.FinalError = attempt;
                foreach (var other in running)
                {
                    other.Cancel(CancelReason.LostHedge);
                }
                break;
            }
            if (attempt.Error == ErrorClass.Auth)
            {
                credentialReports.Report(attempt.Target.Provider.Name, attempt.Status);
                if (attempt.Target.Provider.RefreshCredential(credentials))
                {
                    // A re-read file: credential changed: the same target deserves one more try at once.
                    health.CredentialRenewed(attempt.Target.Provider.Name);
                    tried.Remove(attempt.Target);
                    next--;
                }
            }
            if (running.Count == 0 && CanStart())
            {
                var target = targets[next % targets.Length];
                if (!tried.Contains(target))
                {
                    StartNext(AttemptKind.Retry);
                }
            }
        }
    }

    /// <summary>Feeds health and rate-limit state with one attempt's result.</summary>
    public void Report(Attempt attempt)
    {
        var provider = attempt.Target.Provider.Name;
        ObserveHeadroom(attempt);
        var signal = attempt.Outcome switch
        {
            AttemptOutcome.Success => AttemptSignal.Success,
            AttemptOutcome.Cancelled => AttemptSignal.Neutral,
            _ => attempt.Error switch
            {
                ErrorClass.ClientError or ErrorClass.ClientCancelled => AttemptSignal.Neutral,
                ErrorClass.RateLimited => AttemptSignal.RateLimited,
                ErrorClass.Auth => AttemptSignal.CredentialRefused,
                _ => AttemptSignal.Failure,
            },
        };
        health.Report(provider, attempt.Target.Model, signal, attempt.Latency, attempt.Ttft);
    }

    private void ObserveHeadroom(Attempt attempt)
    {
        if (attempt.Response is not null && !attempt.HeadroomObserved)
        {
            attempt.HeadroomObserved = true;
            headroom.Observe(attempt.Target.Provider.Name, attempt.RateLimit, attempt.RetryAfter);
        }
    }

    private TimeSpan? Backoff(int retry, TimeSpan? retryAfter)
    {
        var o = options.Value;
        var cap = TimeSpan.FromMilliseconds(o.RetryMaxDelayMs);
        if (retryAfter is { } ra)
        {
            return ra <= cap ? ra : cap;
        }
        // Exponential with "equal jitter": half fixed, half random, so retries spread but never bunch at zero.
        var exp = Math.Min(o.RetryMaxDelayMs, o.RetryBaseDelayMs * Math.Pow(2, retry - 1));
        return TimeSpan.FromMilliseconds((exp / 2) + (Random.Shared.NextDouble() * exp / 2));
    }

    internal static async Task WhenAllQuietly(List<Attempt> attempts)
    {
        foreach (var a in attempts)
        {
            try
            {
                await a.Run.ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Every failure is recorded on the attempt itself.
            }
        }
    }
}
