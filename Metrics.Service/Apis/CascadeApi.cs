using Microsoft.AspNetCore.Http.HttpResults;
using Switchboard.Metrics.Cascade;

namespace Switchboard.Metrics.Apis;

internal static class CascadeApi
{
    public static RouteGroupBuilder MapCascadeApi(this IEndpointRouteBuilder api)
    {
        var group = api.MapGroup("/cascade");
        group.MapGet("/", GetCascade);
        return group;
    }

    /// <summary>
    /// Per cascade route: share answered by each tier, escalations, cost and cost saved against always the last tier; per
    /// tier its deployments and their canary quality now (Router.Worker's health snapshot; null when not measured).
    /// </summary>
    public static async Task<Results<Ok<IReadOnlyList<CascadeRow>>, JsonHttpResult<ErrorBody>>> GetCascade(
        string? from, string? to, string? route, CascadeReport report, TimeProvider time, CancellationToken cancellationToken)
    {
        if (!QueryParameters.TryWindow(from, to, time, out var start, out var end, out var error))
        {
            return ApiErrors.BadRequest(error!, "from");
        }
        return TypedResults.Ok(await report.GetAsync(start, end, string.IsNullOrEmpty(route) ? null : route, cancellationToken));
    }
}
