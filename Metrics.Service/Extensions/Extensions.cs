using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Switchboard.Metrics.Apis;
using Switchboard.Metrics.Cascade;
using Switchboard.Metrics.Cost;
using Switchboard.Metrics.Data;
using Switchboard.Metrics.Ingestion;
using Switchboard.Metrics.RequestLog;
using Switchboard.Metrics.Rollups;
using Switchboard.Metrics.Sla;
using Switchboard.Metrics.Slo;
using Switchboard.Metrics.Timeseries;

namespace Switchboard.Metrics.Extensions;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        // Ready only when Redis and PostgreSQL answer: both clients register their health checks.
        builder.AddRedisClient("redis");
        // Ingestion retries and backs off itself (and keeps events in the stream meanwhile), so no EF retry strategy.
        builder.AddNpgsqlDbContext<MetricsDbContext>("metricsdb", settings => settings.DisableRetry = true);

        builder.Services.AddOptions<MetricsOptions>()
            .Bind(builder.Configuration.GetSection(MetricsOptions.Section))
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<MetricsOptions>, MetricsOptionsValidator>();

        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<MetricsDatabase>();
        builder.Services.AddSingleton<DatabaseMigrator>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<DatabaseMigrator>());

        builder.Services.AddSingleton<IngestionMetrics>();
        builder.Services.AddSingleton<BatchWriter>();
        builder.Services.AddHostedService<OutcomeIngestor>();
        builder.Services.AddHostedService<RetentionService>();

        builder.Services.AddSingleton<RollupReader>();
        builder.Services.AddSingleton<SlaReport>();
        builder.Services.AddSingleton<CostReport>();
        builder.Services.AddSingleton<TimeseriesQuery>();
        builder.Services.AddSingleton<CascadeReport>();
        builder.Services.AddScoped<RequestLogQuery>();
        builder.Services.AddSingleton<QueryWarmup>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<QueryWarmup>());

        builder.Services.AddSingleton<RouteObjectives>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<RouteObjectives>());
        builder.Services.AddSingleton<SloReport>();
        builder.Services.AddSingleton<SloMonitor>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<SloMonitor>());

        builder.Services.AddSingleton<AdminKeyFilter>();
        builder.Services.AddHealthChecks()
            .AddCheck<SchemaHealthCheck>("metricsdb-schema", tags: ["ready"])
            .AddCheck<QueryWarmupHealthCheck>("query-warmup", tags: ["ready"]);
        // Start-up (migrations, warm-up) reports Degraded, so that it is not logged as a failure; not ready all the same.
        // ServiceDefaults maps /health without options, so its middleware takes these; /alive has its own.
        builder.Services.Configure<HealthCheckOptions>(o => o.ResultStatusCodes[HealthStatus.Degraded] = StatusCodes.Status503ServiceUnavailable);
    }

    public static void MapApplicationEndpoints(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").AddEndpointFilter<AdminKeyFilter>();
        api.MapSlaApi();
        api.MapCostApi();
        api.MapSloApi();
        api.MapTimeseriesApi();
        api.MapRequestLogApi();
        api.MapCascadeApi();
    }
}
