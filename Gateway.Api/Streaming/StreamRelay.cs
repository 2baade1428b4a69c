using System.Buffers;
using System.IO.Pipelines;
using Switchboard.Contracts.Outcomes;
using Switchboard.Gateway.Apis;
using Switchboard.Gateway.Routing;

namespace Switchboard.Gateway.Streaming;

/// <summary>
/// Relays the winning attempt's stream to the client: the frames buffered before its first token, then each
/// upstream read as soon as it arrives (translated, written straight into the response pipe, flushed). A stream
/// that ends without the provider's clean end, or breaks, gets an OpenAI error event and no <c>[DONE]</c>, and
/// the connection is aborted, so SDKs raise instead of returning a truncated answer as complete.
/// </summary>
internal static class StreamRelay
{
    /// <summary>
    /// How long the error event gets to reach the client before the connection is aborted: an abort resets the
    /// connection, and a reset discards bytes the client has not read yet.
    /// </summary>
    private static readonly TimeSpan AbortGrace = TimeSpan.FromMilliseconds(500);

    public static async Task RelayAsync(Attempt winner, HttpContext context, TimeProvider timeProvider, CancellationToken requestToken)
    {
        var writer = context.Response.BodyWriter;
        var reader = winner.Reader!;
        var translator = winner.Translator!;
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
                var more = await reader.FillAsync(winner.Token).ConfigureAwait(false);
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
