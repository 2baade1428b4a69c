using System.Net.Sockets;
using Switchboard.Contracts.Outcomes;
using Switchboard.Gateway.Configuration;
using Switchboard.Gateway.Limits;
using Switchboard.Gateway.Providers;
using Switchboard.Gateway.Streaming;

namespace Switchboard.Gateway.Routing;

/// <summary>Why the pipeline cancelled an attempt.</summary>
internal enum CancelReason
{
    None,
    LostHedge,
    ClientGone,
    Deadline,
}

/// <summary>
/// One upstream attempt. <see cref="RunAsync"/> goes as far as the point of commitment: a whole answer when not
/// streaming, the first content token when streaming (frames before it are buffered, nothing reaches the client).
/// The winner's stream is then relayed by <see cref="StreamRelay"/>.
/// </summary>
internal sealed class Attempt : IDisposable
{
    private const int MaxPendingBytes = 1024 * 1024;

    // One source per attempt: its own timeout timer, also cancelled by the request's token through a registration
    // (a linked source on top of a timed one cost two more objects, two callback nodes and a registration list).
    private readonly CancellationTokenSource _cts;
    private readonly CancellationTokenRegistration _requestRegistration;
    private readonly CancellationToken _requestToken;
    private readonly TimeProvider _timeProvider;

    public Attempt(int number, AttemptKind kind, Target target, AttemptContext context, TimeSpan timeout, CancellationToken requestToken, TimeProvider timeProvider)
    {
        Number = number;
        Kind = kind;
        Target = target;
        Context = context;
        _timeProvider = timeProvider;
        _cts = new CancellationTokenSource(timeout, timeProvider);
        _requestToken = requestToken;
        _requestRegistration = requestToken.UnsafeRegister(static s => CancelQuietly((CancellationTokenSource)s!), _cts);
        StartedAt = timeProvider.GetUtcNow();
        StartTimestamp = timeProvider.GetTimestamp();
    }

    public int Number { get; }
    public AttemptKind Kind { get; }
    public Target Target { get; }
    public AttemptContext Context { get; }
    public DateTimeOffset StartedAt { get; }
    public long StartTimestamp { get; }
    public long? FirstTokenTimestamp { get; private set; }
    public long? EndTimestamp { get; private set; }
    public CancellationToken Token => _cts.Token;
    public Task<bool> Run { get; private set; } = Task.FromResult(false);

    public HttpResponseMessage? Response { get; private set; }
    public SseReader? Reader { get; private set; }
    public IStreamTranslator? Translator { get; private set; }
    /// <summary>Frames read before commitment (the first token), relayed first; a pooled buffer, returned on dispose.</summary>
    public PooledBufferWriter? Pending { get; private set; }
    public TranslatedCompletion? Completion { get; private set; }

    public AttemptOutcome Outcome { get; private set; } = AttemptOutcome.Failure;
    public int Status { get; private set; }
    public ErrorClass? Error { get; private set; }
    public string? ErrorMessage { get; private set; }
    public UpstreamError? UpstreamError { get; private set; }
    public bool Retryable { get; private set; } = true;
    public CancelReason CancelReason { get; private set; }
    public bool IsRequestError { get; private set; }
    public string? ErrorParam { get; private set; }

    public TimeSpan? RetryAfter => UpstreamError?.RetryAfter;

    /// <summary>What the upstream answer's headers said about the provider's rate limit (empty before an answer).</summary>
    public RateLimitReading RateLimit { get; private set; }

    /// <summary>Set once the rate-limit reading has fed routing (it must count once per answer).</summary>
    public bool HeadroomObserved { get; set; }

    /// <summary>This attempt's place in its provider's configured concurrency; freed when the attempt ends.</summary>
    public ProviderLease? Lease { get; init; }

    /// <summary>Cascade routes: the 0-based tier this attempt belongs to.</summary>
    public int? Tier { get; set; }

    /// <summary>Cascade routes: the score given to this attempt's answer.</summary>
    public double? Confidence { get; set; }

    public void Start() => Run = RunAsync();

    internal static void CancelQuietly(CancellationTokenSource cts)
    {
        try
        {
            cts.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public void Cancel(CancelReason reason)
    {
        if (CancelReason == CancelReason.None)
        {
            CancelReason = reason;
        }
        CancelQuietly(_cts);
    }

    /// <summary>True when this attempt reached the point where the pipeline can commit to it.</summary>
    private async Task<bool> RunAsync()
    {
        // No Task.Yield here: the request is built and written inline up to the first real await (as YARP does),
        // one thread-pool hop less per request; the pipeline handles an attempt that finishes synchronously.
        try
        {
            var adapter = Target.Provider.Adapter;
            using var request = adapter.CreateRequest(Context);
            if (Context.TraceParent is { } traceParent && System.Diagnostics.Activity.Current is null)
            {
                // No span of ours (tracing off): the client's trace context goes upstream as it came, so its trace
                // still reaches the provider. With tracing on, HttpClient propagates our span, a child of it.
                request.Headers.TryAddWithoutValidation("traceparent", traceParent);
                if (Context.TraceState is { } traceState)
                {
                    request.Headers.TryAddWithoutValidation("tracestate", traceState);
                }
            }
            Response = await Target.Provider.Invoker.SendAsync(request, Token).ConfigureAwait(false);
            Status = (int)Response.StatusCode;
            // Read once: routing (headroom) and the outcome event both use it.
            RateLimit = RateLimitReading.From(Response, _timeProvider.GetUtcNow());
            if (!Response.IsSuccessStatusCode)
            {
                var error = await adapter.ReadErrorAsync(Response, Token).ConfigureAwait(false);
                Fail(error);
                return false;
            }
            if (!Context.Stream)
            {
                Completion = await adapter.ReadCompletionAsync(Response, Context, Token).ConfigureAwait(false);
                FirstTokenTimestamp = _timeProvider.GetTimestamp();
                return true;
            }
            Translator = adapter.CreateStreamTranslator(Context);
            // Pooled: the whole stream often arrives in the first reads, and a fresh array grown from 1 KiB cost ~7 KB of
            // garbage per stream.
            Pending = new PooledBufferWriter(4096);
            Reader = new SseReader(await Response.Content.ReadAsStreamAsync(Token).ConfigureAwait(false));
            while (true)
            {
                var more = await Reader.FillAsync(Token).ConfigureAwait(false);
                while (Reader.TryReadEvent(out var name, out var data))
                {
                    Translator.OnEvent(name, data, Pending);
                }
                if (Translator.StreamError is { } streamError)
                {
                    Fail(streamError with { Status = streamError.Status == 0 ? Status : streamError.Status }, inStream: true);
                    return false;
                }
                if (Translator.SawFirstToken || Translator.Completed)
                {
                    FirstTokenTimestamp = _timeProvider.GetTimestamp();
                    return true;
                }
                if (Pending.WrittenCount > MaxPendingBytes)
                {
                    // Frames before the first token are held in memory: an upstream that never sends one must not fill it.
                    SetFailure(ErrorClass.Malformed, $"no first token in the first {MaxPendingBytes / 1024} KiB of the stream");
                    return false;
                }
                if (!more)
                {
                    SetFailure(ErrorClass.StreamBreak, "the stream ended before the first token");
                    return false;
                }
            }
        }
        catch (OperationCanceledException) when (Token.IsCancellationRequested)
        {
            MarkCancelledOrTimedOut();
            return false;
        }
        catch (HttpRequestException ex)
        {
            SetFailure(ex.InnerException is SocketException || ex.HttpRequestError == HttpRequestError.ConnectionError ? ErrorClass.Connect : ErrorClass.StreamBreak,
                ex.HttpRequestError == HttpRequestError.ConnectionError ? "connection failed" : "the connection broke: " + ex.HttpRequestError);
            return false;
        }
        catch (IOException)
        {
            SetFailure(ErrorClass.StreamBreak, "the connection broke");
            return false;
        }
        catch (UpstreamProtocolException ex)
        {
            SetFailure(ErrorClass.Malformed, ex.Message);
            return false;
        }
        catch (NotSupportedException ex)
        {
            SetFailure(ErrorClass.ServerError, ex.Message);
            return false;
        }
        catch (RequestTranslationException ex)
        {
            ErrorParam = ex.Param;
            // The adapter could not express the request: the client's fault, not the provider's.
            SetFailure(ErrorClass.ClientError, ex.Message);
            IsRequestError = true;
            Retryable = false;
            Status = 400;
            return false;
        }
        catch (Exception ex)
        {
            SetFailure(ErrorClass.ServerError, $"gateway error ({ex.GetType().Name}): {ex.Message}");
            return false;
        }
    }

    public void MarkCancelledOrTimedOut()
    {
        End();
        if (CancelReason is CancelReason.LostHedge or CancelReason.ClientGone)
        {
            Outcome = AttemptOutcome.Cancelled;
            Error = CancelReason == CancelReason.ClientGone ? ErrorClass.ClientCancelled : null;
            ErrorMessage = CancelReason == CancelReason.LostHedge ? "cancelled: another attempt answered first" : "cancelled: the client went away";
            Retryable = false;
            return;
        }
        SetFailure(ErrorClass.Timeout, !_requestToken.IsCancellationRequested ? "attempt timed out" : "request deadline reached");
    }

    private void Fail(UpstreamError error, bool inStream = false)
    {
        // Provider error text goes to the client and the outcome event: never with a credential in it.
        error = SecretRedactor.Redact(error, Context.Provider);
        UpstreamError = error;
        var status = error.Status;
        var contextTooLong = (error.Type?.Contains("context_length", StringComparison.OrdinalIgnoreCase) ?? false)
            || error.Message.Contains("context length", StringComparison.OrdinalIgnoreCase)
            || error.Message.Contains("prompt is too long", StringComparison.OrdinalIgnoreCase);
        var errorClass = status switch
        {
            429 => ErrorClass.RateLimited,
            401 or 403 => ErrorClass.Auth,
            408 => ErrorClass.Timeout,
            >= 500 => ErrorClass.ServerError,
            >= 400 => ErrorClass.ClientError,
            _ => error.Type switch
            {
                "rate_limit_error" => ErrorClass.RateLimited,
                "overloaded_error" or "api_error" or "server_error" => ErrorClass.ServerError,
                _ => inStream ? ErrorClass.ServerError : ErrorClass.Malformed,
            },
        };
        SetFailure(errorClass, $"{(status > 0 ? status.ToString(System.Globalization.CultureInfo.InvariantCulture) + " " : "")}{error.Type ?? "error"}: {error.Message}");
        if (!inStream && (status is 400 or 404 or 413 or 422 || contextTooLong))
        {
            Retryable = false;
            IsRequestError = true;
        }
    }

    public void SetFailure(ErrorClass error, string message)
    {
        End();
        Outcome = AttemptOutcome.Failure;
        Error = error;
        ErrorMessage = message.Length > 300 ? message[..300] : message;
    }

    public void Succeed()
    {
        End();
        Outcome = AttemptOutcome.Success;
        Error = null;
        ErrorMessage = null;
    }

    public void End()
    {
        EndTimestamp ??= _timeProvider.GetTimestamp();
        Lease?.End();
    }

    public TimeSpan Latency => _timeProvider.GetElapsedTime(StartTimestamp, EndTimestamp ?? _timeProvider.GetTimestamp());

    public TimeSpan? Ttft => FirstTokenTimestamp is { } t ? _timeProvider.GetElapsedTime(StartTimestamp, t) : null;

    public void Dispose()
    {
        Lease?.End();
        Response?.Dispose();
        if (Run.IsCompleted)
        {
            // Pooled buffers go back only once nothing can write into them: an attempt still running (a request
            // that ended on an exception) keeps its buffers, and the GC takes them.
            Reader?.Dispose();
            (Translator as IDisposable)?.Dispose();
            Pending?.Dispose();
        }
        _requestRegistration.Dispose();
        _cts.Dispose();
    }
}
