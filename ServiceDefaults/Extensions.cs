using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Aspire service defaults shared by every Switchboard service: OpenTelemetry (exported over OTLP when
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set), health checks (<c>/health</c> ready, <c>/alive</c> live) and
/// service discovery.
/// </summary>
public static class Extensions
{
    private const string HealthEndpointPath = "/health";
    private const string AlivenessEndpointPath = "/alive";

    /// <summary>The meter and activity source names every service registers for its own telemetry.</summary>
    public const string SwitchboardTelemetryPrefix = "Switchboard.";

    /// <summary>
    /// Adds telemetry, health checks and service discovery. Internal service-to-service HttpClients get the
    /// standard resilience handler through <see cref="AddInternalServiceClient"/>, never globally: provider
    /// clients are the gateway's own concern (it retries, hedges and times out generations itself).
    /// </summary>
    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.ConfigureOpenTelemetry();
        builder.AddDefaultHealthChecks();
        builder.Services.AddServiceDiscovery();
        return builder;
    }

    /// <summary>
    /// Registers a typed client for another Switchboard service ("http://metrics", "http://router"), resolved
    /// through service discovery, with the standard resilience handler.
    /// </summary>
    public static IHttpClientBuilder AddInternalServiceClient<TClient>(this IServiceCollection services, string serviceName)
        where TClient : class
    {
        ArgumentException.ThrowIfNullOrEmpty(serviceName);
        var http = services.AddHttpClient<TClient>(client => client.BaseAddress = new Uri($"http://{serviceName}"))
            .AddServiceDiscovery();
        http.AddStandardResilienceHandler();
        return http;
    }

    /// <summary>
    /// For the services on a request hot path (the gateway, the simulator): when no telemetry is exported, turns off
    /// ASP.NET Core's hosting diagnostics logger. While it is on at any level, Kestrel starts an Activity and a
    /// logging scope for every request (and HttpClient a child Activity that injects traceparent upstream), and
    /// without an exporter nothing reads them: pure per-request cost. That logger only writes request start/finish
    /// lines, which the services filter at Warning anyway.
    /// </summary>
    public static TBuilder WithoutRequestDiagnosticsUnlessExported<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        if (!builder.IsTelemetryExported())
        {
            builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        }
        return builder;
    }

    /// <summary>
    /// True when telemetry leaves the process (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set, as Aspire does for every
    /// resource). Without it nothing would read spans or OpenTelemetry metrics, so none are made: an
    /// <see cref="System.Diagnostics.Activity"/> per request costs the hot path CPU and allocations only when
    /// something listens. (Meters still work for in-process listeners such as dotnet-counters.)
    /// </summary>
    public static bool IsTelemetryExported(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
    }

    /// <summary>
    /// Configures OpenTelemetry logging, metrics and tracing, including every meter and source named
    /// <c>Switchboard.*</c>, exported over OTLP; nothing at all when no exporter is configured
    /// (<see cref="IsTelemetryExported"/>).
    /// </summary>
    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        if (!builder.IsTelemetryExported())
        {
            return builder;
        }

        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter(SwitchboardTelemetryPrefix + "*"))
            .WithTracing(tracing => tracing
                .AddSource(builder.Environment.ApplicationName)
                .AddSource(SwitchboardTelemetryPrefix + "*")
                .AddAspNetCoreInstrumentation(o =>
                    // Health probes would drown real traffic in the dashboard.
                    o.Filter = ctx => !ctx.Request.Path.StartsWithSegments(HealthEndpointPath)
                                      && !ctx.Request.Path.StartsWithSegments(AlivenessEndpointPath))
                .AddHttpClientInstrumentation())
            .UseOtlpExporter();

        return builder;
    }

    /// <summary>Adds the liveness check; services add their dependency checks tagged <c>ready</c>.</summary>
    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddHealthChecks().AddCheck("self", () => HealthCheckResult.Healthy(), ["live"]);
        return builder;
    }

    /// <summary>Maps <c>/health</c> (every check must pass) and <c>/alive</c> (only checks tagged <c>live</c>).</summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.MapHealthChecks(HealthEndpointPath);
        app.MapHealthChecks(AlivenessEndpointPath, new HealthCheckOptions { Predicate = r => r.Tags.Contains("live") });
        return app;
    }
}
