using Microsoft.AspNetCore.Http.HttpResults;
using Switchboard.Router.Alerts;

namespace Switchboard.Router.Apis;

internal static class AlertsApi
{
    public static RouteGroupBuilder MapAlertsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/alerts").AddEndpointFilter<AdminKeyFilter>();
        api.MapGet("/", GetAlerts);
        api.MapPost("/{id:long}/ack", Acknowledge);
        return api;
    }

    public static async Task<Ok<IReadOnlyList<Alert>>> GetAlerts(AlertStore alerts, CancellationToken ct, bool all = true, int limit = 200) =>
        TypedResults.Ok(await alerts.ListAsync(all, Math.Clamp(limit, 1, 1000), ct));

    public static async Task<Results<NoContent, JsonHttpResult<ApiError>>> Acknowledge(long id, AlertStore alerts, HttpRequest request, CancellationToken ct) =>
        await alerts.AcknowledgeAsync(id, Author(request), ct) ? TypedResults.NoContent() : ApiErrors.NotFound($"alert {id} does not exist");

    internal static string Author(HttpRequest request) =>
        request.Headers["x-switchboard-author"].FirstOrDefault() is { Length: > 0 } a ? a : "admin";
}
