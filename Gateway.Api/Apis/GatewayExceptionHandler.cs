using Microsoft.AspNetCore.Diagnostics;

namespace Switchboard.Gateway.Apis;

/// <summary>Last line of defence: whatever escapes a handler is answered in the OpenAI error shape, never an HTML 500.</summary>
internal sealed partial class GatewayExceptionHandler(ILogger<GatewayExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is BadHttpRequestException bad)
        {
            var status = bad.StatusCode == StatusCodes.Status413PayloadTooLarge ? 413 : 400;
            await OpenAIError.WriteAsync(httpContext, status, status == 413 ? "The request body is too large." : "The request could not be read: " + bad.Message,
                code: status == 413 ? "request_too_large" : "invalid_request").ConfigureAwait(false);
            return true;
        }
        LogUnhandled(exception);
        await OpenAIError.WriteAsync(httpContext, 500, "The gateway failed to process the request.", "api_error", code: "internal_error").ConfigureAwait(false);
        return true;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled exception in the gateway")]
    private partial void LogUnhandled(Exception exception);
}
