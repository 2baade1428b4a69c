namespace Switchboard.Metrics.Extensions;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        // Ready only when Redis and PostgreSQL answer: both clients register their health checks.
        builder.AddRedisClient("redis");
        builder.AddNpgsqlDataSource("metricsdb");
    }

    public static void MapApplicationEndpoints(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
    }
}
