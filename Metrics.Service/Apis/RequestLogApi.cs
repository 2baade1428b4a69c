using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Switchboard.Metrics.RequestLog;

namespace Switchboard.Metrics.Apis;

internal static class RequestLogApi
{
    public static RouteGroupBuilder MapRequestLogApi(this IEndpointRouteBuilder api)
    {
        var group = api.MapGroup("/requests");
        group.MapGet("/", Search);
        group.MapGet("/{requestId}", GetRequest);
        return group;
    }

    /// <summary>The request log, newest first.</summary>
    public static async Task<Results<Ok<IReadOnlyList<RequestLogRow>>, JsonHttpResult<ErrorBody>>> Search(
        string? from, string? to, string? provider, string? status, string? route, string? key, int? limit,
        RequestLogQuery query, TimeProvider time, CancellationToken cancellationToken)
    {
        if (!QueryParameters.TryWindow(from, to, time, out var start, out var end, out var error))
        {
            return ApiErrors.BadRequest(error!, "from");
        }
        int? exact = null;
        int? statusClass = null;
        if (status is { Length: 3 } s && s.EndsWith("xx", StringComparison.OrdinalIgnoreCase) && char.IsAsciiDigit(s[0]))
        {
            statusClass = s[0] - '0';
        }
        else if (status is not null)
        {
            if (!int.TryParse(status, NumberStyles.None, CultureInfo.InvariantCulture, out var code))
            {
                return ApiErrors.BadRequest("status must be a status code (503) or a class (5xx)", "status");
            }
            exact = code;
        }
        var take = limit ?? RequestLogQuery.DefaultLimit;
        if (take is < 1 or > RequestLogQuery.MaxLimit)
        {
            return ApiErrors.BadRequest($"limit must be 1..{RequestLogQuery.MaxLimit}", "limit");
        }
        var filter = new RequestLogFilter(start, end, provider, route, key, exact, statusClass, take);
        return TypedResults.Ok(await query.SearchAsync(filter, cancellationToken));
    }

    /// <summary>Every attempt of one request, in start order (retries, hedges and fallbacks as a timeline).</summary>
    public static async Task<Results<Ok<IReadOnlyList<RequestLogRow>>, JsonHttpResult<ErrorBody>>> GetRequest(
        string requestId, RequestLogQuery query, CancellationToken cancellationToken)
    {
        var attempts = await query.GetRequestAsync(requestId, cancellationToken);
        return attempts.Count == 0
            ? ApiErrors.NotFound($"No request {requestId} in the request log.")
            : TypedResults.Ok(attempts);
    }
}
