using Microsoft.AspNetCore.Http.HttpResults;
using Switchboard.Metrics.Slo;

namespace Switchboard.Metrics.Apis;

internal static class SloApi
{
    public static RouteGroupBuilder MapSloApi(this IEndpointRouteBuilder api)
    {
        var group = api.MapGroup("/slo");
        group.MapGet("/", GetSlo);
        group.MapGet("/alerts", GetAlerts);
        return group;
    }

    /// <summary>Compliance, error budget and burn rates of every route that declares an SLO.</summary>
    public static async Task<Ok<IReadOnlyList<SloStatus>>> GetSlo(SloReport report, CancellationToken cancellationToken) =>
        TypedResults.Ok(await report.GetAsync(cancellationToken));

    /// <summary>Fast-burn alerts, newest first (active ones have no clearedAt).</summary>
    public static Ok<IReadOnlyList<SloAlert>> GetAlerts(SloMonitor monitor) => TypedResults.Ok(monitor.Alerts);
}
