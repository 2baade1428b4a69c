using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Switchboard.Metrics.Rollups;
using Switchboard.Metrics.Timeseries;

namespace Switchboard.Metrics.Apis;

internal static class TimeseriesApi
{
    public static RouteGroupBuilder MapTimeseriesApi(this IEndpointRouteBuilder api)
    {
        var group = api.MapGroup("/timeseries");
        group.MapGet("/", GetTimeseries);
        return group;
    }

    /// <summary>Per-step requests, errors, p50/p95/p99 latency, TTFT p95 and cost per group; step like 1m, 5m, 1h, 1d.</summary>
    public static async Task<Results<Ok<IReadOnlyList<Series>>, JsonHttpResult<ErrorBody>>> GetTimeseries(
        string? from, string? to, string? groupBy, string? step, string? provider, string? route, string? key,
        TimeseriesQuery query, TimeProvider time, CancellationToken cancellationToken)
    {
        if (!QueryParameters.TryWindow(from, to, time, out var start, out var end, out var error))
        {
            return ApiErrors.BadRequest(error!, "from");
        }
        if (!QueryParameters.TryGroupBy(groupBy, GroupBy.Provider, allowTaskAndDay: false, out var by))
        {
            return ApiErrors.BadRequest("groupBy must be provider, model, route or key", "groupBy");
        }
        if (!TryStep(step ?? "1m", out var width))
        {
            return ApiErrors.BadRequest("step must be a whole number of minutes, hours or days, like 1m, 5m, 1h or 1d", "step");
        }
        if ((end - start) / width > TimeseriesQuery.MaxPoints)
        {
            return ApiErrors.BadRequest($"at most {TimeseriesQuery.MaxPoints} points: widen the step or narrow the window", "step");
        }
        return TypedResults.Ok(await query.GetAsync(start, end, width, by, new RollupFilter(provider, route, key), cancellationToken));
    }

    internal static bool TryStep(string step, out TimeSpan width)
    {
        width = default;
        if (step.Length < 2 || !int.TryParse(step.AsSpan(0, step.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1)
        {
            return false;
        }
        width = char.ToLowerInvariant(step[^1]) switch
        {
            'm' => TimeSpan.FromMinutes(n),
            'h' => TimeSpan.FromHours(n),
            'd' => TimeSpan.FromDays(n),
            _ => TimeSpan.Zero,
        };
        return width > TimeSpan.Zero;
    }
}
