using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using StackExchange.Redis;
using Switchboard.Contracts.Health;
using Switchboard.Contracts.Outcomes;
using Switchboard.Contracts.Redis;
using Switchboard.Router.Health;
using Switchboard.Router.Leadership;
using Switchboard.Router.Routing;

namespace Switchboard.Router.Apis;

internal static class HealthApi
{
    public static RouteGroupBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/health").AddEndpointFilter<AdminKeyFilter>();
        api.MapGet("/", GetHealth);
        api.MapGet("/{provider}/{**model}", GetDeployment);
        return api;
    }

    /// <summary>The published snapshot (any replica answers the same); the leader's live model when none is published yet.</summary>
    public static async Task<Ok<IReadOnlyList<DeploymentHealth>>> GetHealth(
        IConnectionMultiplexer redis, HealthModel health, RoutingState routing, LeaderLease lease)
    {
        if (!lease.IsLeader)
        {
            try
            {
                var json = await redis.GetDatabase().StringGetAsync(RedisKeys.HealthSnapshot);
                if (json.HasValue && JsonSerializer.Deserialize((string)json!, ContractJson.Default.HealthSnapshot) is { } snapshot)
                {
                    return TypedResults.Ok(snapshot.Deployments);
                }
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                // fall through to the local view
            }
        }
        return TypedResults.Ok(health.Evaluate(routing.Current.Deployments));
    }

    /// <summary>The 1-minute, 5-minute and 1-hour windows of one deployment (the leader holds them).</summary>
    public static Results<Ok<DeploymentDetail>, JsonHttpResult<ApiError>> GetDeployment(string provider, string model, HealthModel health) =>
        health.Detail(new(provider, model)) is { } detail
            ? TypedResults.Ok(detail)
            : ApiErrors.NotFound($"no health is known for {provider}/{model} on this replica");
}
