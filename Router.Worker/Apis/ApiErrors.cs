using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Switchboard.Contracts.Routing;

namespace Switchboard.Router.Apis;

/// <summary>
/// Errors in the OpenAI shape every Switchboard API answers (<c>{"error":{"message","type","param","code"}}</c>).
/// A refused routing document also carries <c>valid:false</c> and every error with its field in <c>errors</c>,
/// because a document can be wrong in several places at once and the editor shows each.
/// </summary>
internal static class ApiErrors
{
    public static JsonHttpResult<ApiError> BadRequest(string message, string? param, string code = "invalid_request") =>
        Json(StatusCodes.Status400BadRequest, new(new(message, TypeOf(StatusCodes.Status400BadRequest), param, code)));

    public static JsonHttpResult<ApiError> Invalid(IReadOnlyList<RoutingError> errors)
    {
        var first = errors.Count > 0 ? errors[0] : new RoutingError("$", "invalid");
        var message = string.Join("; ", errors.Select(e => e.Field is "$" or "" ? e.Message : $"{e.Field}: {e.Message}"));
        return Json(StatusCodes.Status400BadRequest,
            new(new(message, TypeOf(StatusCodes.Status400BadRequest), first.Field, "invalid_routing_document")) { Valid = false, Errors = errors });
    }

    public static JsonHttpResult<ApiError> NotFound(string message) =>
        Json(StatusCodes.Status404NotFound, new(new(message, TypeOf(StatusCodes.Status404NotFound), null, "not_found")));

    public static JsonHttpResult<ApiError> Conflict(string message, string? param) =>
        Json(StatusCodes.Status409Conflict, new(new(message, TypeOf(StatusCodes.Status409Conflict), param, "conflict")));

    /// <summary>The OpenAI error type for a status.</summary>
    public static string TypeOf(int status) => status switch
    {
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        409 => "conflict_error",
        429 => "rate_limit_error",
        >= 500 => "server_error",
        _ => "invalid_request_error",
    };

    private static JsonHttpResult<ApiError> Json(int status, ApiError body) => TypedResults.Json(body, statusCode: status);
}

/// <summary>An error answer of the control API.</summary>
internal sealed record ApiError(ApiErrorDetail Error)
{
    /// <summary>Routing document validation: always false when present.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? Valid { get; init; }

    /// <summary>Routing document validation: every error with the field it names.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<RoutingError>? Errors { get; init; }
}

/// <summary>OpenAI-shaped error detail.</summary>
internal sealed record ApiErrorDetail(string Message, string Type, string? Param, string? Code);

/// <summary>
/// Whatever the framework answers by itself (an unreadable body, an unknown path, an unhandled exception) in the same
/// OpenAI shape, through <see cref="IProblemDetailsService"/>: body binding failures are thrown
/// (<see cref="RouteHandlerOptions.ThrowOnBadRequest"/>) so their message, which names the parameter, reaches the client.
/// </summary>
internal sealed class OpenAIErrorWriter : IProblemDetailsWriter
{
    public bool CanWrite(ProblemDetailsContext context) => true;

    public ValueTask WriteAsync(ProblemDetailsContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var http = context.HttpContext;
        var problem = context.ProblemDetails;
        var status = context.Exception is BadHttpRequestException bad ? bad.StatusCode : problem.Status ?? http.Response.StatusCode;
        http.Response.StatusCode = status;
        string? param = null;
        var message = status >= 500
            ? "Router.Worker failed to answer; see its logs."
            : context.Exception is BadHttpRequestException b ? b.Message
            : problem.Detail ?? problem.Title ?? Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status);
        if (problem is HttpValidationProblemDetails { Errors.Count: > 0 } validation)
        {
            param = validation.Errors.Keys.First();
            message = string.Join("; ", validation.Errors.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}"));
        }
        var body = new ApiError(new(message, ApiErrors.TypeOf(status), param, null));
        return new(http.Response.WriteAsJsonAsync(body, http.RequestAborted));
    }
}

internal static class ApiErrorsExtensions
{
    public static IServiceCollection AddApiErrors(this IServiceCollection services)
    {
        services.AddSingleton<IProblemDetailsWriter, OpenAIErrorWriter>();
        services.AddProblemDetails();
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        return services;
    }

    public static IApplicationBuilder UseApiErrors(this IApplicationBuilder app)
    {
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            StatusCodeSelector = ex => ex is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status500InternalServerError,
        });
        app.UseStatusCodePages();
        return app;
    }
}
