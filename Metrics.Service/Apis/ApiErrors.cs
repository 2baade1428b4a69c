using Microsoft.AspNetCore.Http.HttpResults;

namespace Switchboard.Metrics.Apis;

/// <summary>Errors in the OpenAI shape every Switchboard API uses.</summary>
internal static class ApiErrors
{
    public static JsonHttpResult<ErrorBody> BadRequest(string message, string? param = null) =>
        TypedResults.Json(new ErrorBody(new ErrorDetail(message, "invalid_request_error", param, null)), statusCode: StatusCodes.Status400BadRequest);

    public static JsonHttpResult<ErrorBody> NotFound(string message) =>
        TypedResults.Json(new ErrorBody(new ErrorDetail(message, "not_found_error", null, null)), statusCode: StatusCodes.Status404NotFound);
}

internal sealed record ErrorBody(ErrorDetail Error);

internal sealed record ErrorDetail(string Message, string Type, string? Param, string? Code);
