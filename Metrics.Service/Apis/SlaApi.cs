using Microsoft.AspNetCore.Http.HttpResults;
using Switchboard.Metrics.Rollups;
using Switchboard.Metrics.Sla;

namespace Switchboard.Metrics.Apis;

internal static class SlaApi
{
    public static RouteGroupBuilder MapSlaApi(this IEndpointRouteBuilder api)
    {
        var group = api.MapGroup("/sla");
        group.MapGet("/", GetSla);
        return group;
    }

    public static async Task<Results<Ok<IReadOnlyList<SlaRow>>, JsonHttpResult<ErrorBody>>> GetSla(
        string? from, string? to, string? groupBy, string? provider, string? route, string? key,
        SlaReport report, TimeProvider time, CancellationToken cancellationToken)
    {
        if (!QueryParameters.TryWindow(from, to, time, out var start, out var end, out var error))
        {
            return ApiErrors.BadRequest(error!, "from");
        }
        if (!QueryParameters.TryGroupBy(groupBy, GroupBy.Provider, allowTaskAndDay: true, out var by))
        {
            return ApiErrors.BadRequest("groupBy must be provider, model, route, key, task or day", "groupBy");
        }
        return TypedResults.Ok(await report.GetAsync(start, end, by, new RollupFilter(provider, route, key), cancellationToken));
    }
}
