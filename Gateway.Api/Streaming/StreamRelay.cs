using System.Buffers;
using System.IO.Pipelines;
using Switchboard.Contracts.Outcomes;
using Microsoft.Extensions.Options;
using Switchboard.Gateway.Apis;
using Switchboard.Gateway.Configuration;
using Switchboard.Gateway.Routing;

namespace Switchboard.Gateway.Streaming;

/// <summary>
/// Relays the winning attempt's stream to the client: the frames buffered before its first token, then each
/// upstream read as soon as it arrives (translated, written straight into the response pipe, flushed). A stream
/// that ends without the provider's clean end, or breaks, gets an OpenAI error event and no <c>[DONE]</c>, and
/// the connection is aborted, so SDKs raise instead of returning a truncated answer as complete. So does an
/// upstream that falls silent mid-stream for longer than the idle timeout.
/// </summary>
internal static class StreamRelay
{
    /// <summary>
    /// How long the error event gets to reach the client before the connection is aborted: an abort resets the
    /// connection, and a reset discards bytes the client has not read yet.
    /// </summary>
    private static readonly TimeSpan AbortGrace = TimeSpan.FromMilliseconds(500);

    /// <param name="winner">The attempt whose stream is relayed.</param>
    /// <param name="context">The client's request.</param>
    /// <param name="timeProvider">Clock of the idle timeout.</param>
    /// <param name="requestToken">The request deadline (and client abort).</param>
    /// <param name="idleTimeout">
    /// Longest silence of the upstream between two reads mid-stream before the stream counts as broken
    /// (<see cref="ErrorClass.Timeout"/>); null takes <see cref="GatewayOptions.StreamIdleTimeoutMs"/>, zero or
    /// less turns it off.
    /// </param>
    public static async Task RelayAsync(Attempt winner, HttpContext context, TimeProvider timeProvider, CancellationToken requestToken, TimeSpan? idleTimeout = null)
    {
        var writer = context.Response.BodyWriter;
        var reader = winner.Reader!;
        var translator = winner.Translator!;
        var idle = idleTimeout ?? TimeSpan.FromMilliseconds(context.RequestServices?.GetService<IOptions<GatewayOptions>>()?.Value.StreamIdleTimeoutMs ?? 0);
        // One timer per stream, re-armed before each read (YARP's activity timeout); cancelled with the attempt.
        using var silence = idle > TimeSpan.Zero ? new CancellationTokenSource(Timeout.InfiniteTimeSpan, timeProvider) : null;
        using var linked = silence is null ? default : winner.Token.UnsafeRegister(static s => ((CancellationTokenSource)s!).Cancel(), silence);
        var readToken = silence?.Token ?? winner.Token;
        try
        {
            writer.Write(winner.Pending!.WrittenSpan);
            if (await IsClientGone(writer.FlushAsync(context.RequestAborted)).ConfigureAwait(false))
            {
                ClientGone(winner);
                return;
            }
            while (true)
            {
                silence?.CancelAfter(idle);
                var more = await reader.FillAsync(readToken).ConfigureAwait(false);
                while (reader.TryReadEvent(out var name, out var data))
                {
                    translator.OnEvent(name, data, writer);
                }
                if (translator.StreamError is { } error)
                {
                    // The translator wrote the provider's error as an OpenAI error event.
                    winner.SetFailure(ErrorClass.StreamBreak, $"{error.Type ?? "error"}: {error.Message}");
                    await writer.FlushAsync(context.RequestAborted).ConfigureAwait(false);
                    await AbortAsync(context, timeProvider).ConfigureAwait(false);
                    return;
                }
                if (!more)
                {
                    if (translator.Completed)
                    {
                        translator.Complete(writer);
                        await writer.FlushAsync(context.RequestAborted).ConfigureAwait(false);
                        winner.Succeed();
                        return;
                    }
                    await BreakAsync(winner, context, timeProvider, "the upstream stream ended before its end marker").ConfigureAwait(false);
                    return;
                }
                if (await IsClientGone(writer.FlushAsync(context.RequestAborted)).ConfigureAwait(false))
                {
                    ClientGone(winner);
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            ClientGone(winner);
        }
        catch (OperationCanceledException) when (silence is not null && silence.IsCancellationRequested && !winner.Token.IsCancellationRequested)
        {
            await BreakAsync(winner, context, timeProvider, $"no data from the upstream for {idle.TotalSeconds:0.###} s mid-stream", ErrorClass.Timeout).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (winner.Token.IsCancellationRequested)
        {
            winner.MarkCancelledOrTimedOut();
            await BreakAsync(winner, context, timeProvider, requestToken.IsCancellationRequested ? "the request deadline was reached mid-stream" : "the attempt timed out mid-stream", ErrorClass.Timeout).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException or Providers.UpstreamProtocolException)
        {
            await BreakAsync(winner, context, timeProvider, ex is Providers.UpstreamProtocolException ? ex.Message : "the upstream connection broke mid-stream",
                ex is Providers.UpstreamProtocolException ? ErrorClass.Malformed : ErrorClass.StreamBreak).ConfigureAwait(false);
        }
    }

    private static async Task BreakAsync(Attempt winner, HttpContext context, TimeProvider timeProvider, string reason, ErrorClass error = ErrorClass.StreamBreak)
    {
        winner.SetFailure(error, reason);
        try
        {
            OpenAIError.WriteStreamFrame(context.Response.BodyWriter, $"The upstream stream from {winner.Target.Provider.Name} broke: {reason}.", "api_error", "stream_interrupted");
            await context.Response.BodyWriter.FlushAsync(context.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
        }
        await AbortAsync(context, timeProvider).ConfigureAwait(false);
    }

    /// <summary>Aborts the connection (no clean end of the chunked body), so the client's read fails.</summary>
    private static async Task AbortAsync(HttpContext context, TimeProvider timeProvider)
    {
        try
        {
            await Task.Delay(AbortGrace, timeProvider, context.RequestAborted).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        context.Abort();
    }

    private static void ClientGone(Attempt winner)
    {
        winner.Cancel(CancelReason.ClientGone);
        winner.MarkCancelledOrTimedOut();
    }

    private static async ValueTask<bool> IsClientGone(ValueTask<FlushResult> flush)
    {
        var result = await flush.ConfigureAwait(false);
        return result.IsCanceled || result.IsCompleted;
    }
}
