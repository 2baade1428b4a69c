using Microsoft.Extensions.DependencyInjection.Extensions;
using Switchboard.Gateway.Accounting;
using Switchboard.Gateway.Apis;
using Switchboard.Gateway.Budgets;
using Switchboard.Gateway.Configuration;
using Switchboard.Gateway.Health;
using Switchboard.Gateway.Keys;
using Switchboard.Gateway.Limits;
using Switchboard.Gateway.Outcomes;
using Switchboard.Gateway.Providers;
using Switchboard.Gateway.Providers.Anthropic;
using Switchboard.Gateway.Providers.Gemini;
using Switchboard.Gateway.Providers.OpenAI;
using Switchboard.Gateway.Routing;

namespace Switchboard.Gateway.Extensions;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        builder.WithoutRequestDiagnosticsUnlessExported();
        services.AddOptions<GatewayOptions>().BindConfiguration(GatewayOptions.Section)
            .Validate(o => o.MaxRequestBodyBytes > 0 && o.OutcomeBufferCapacity > 0 && o.OutcomeBatchSize > 0, "Switchboard:Gateway values must be positive")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);

        // Provider adapters: one per provider type, stateless and shared.
        services.AddSingleton<IProviderAdapter, OpenAIAdapter>();
        services.AddSingleton<IProviderAdapter, AnthropicAdapter>();
        services.AddSingleton<IProviderAdapter, GeminiAdapter>();

        services.AddSingleton<CredentialResolver>();
        services.AddSingleton<ProviderClients>();
        services.AddSingleton<RoutingStore>();
        services.AddSingleton<IRoutingStore>(sp => sp.GetRequiredService<RoutingStore>());

        services.AddSingleton<IDeploymentHealth, DeploymentHealthTracker>();
        services.AddSingleton<IRateLimitHeadroom, RateLimitHeadroomTracker>();
        services.AddSingleton<AttemptPipeline>();
        services.AddSingleton<Cascades.CascadeRunner>();
        services.AddSingleton<SharedRedis>();
        services.AddSingleton<KeyDirectory>();
        services.AddSingleton<KeyLimiter>();
        services.AddSingleton<BudgetLedger>();
        services.AddSingleton<KeyAdmission>();
        services.AddSingleton<ProviderLimiter>();
        services.AddSingleton<RetryBudget>();
        services.AddSingleton<CredentialReporter>();

        services.AddSingleton<TokenEstimator>();
        services.AddSingleton<GatewayMetrics>();
        services.AddSingleton<OutcomeChannel>();
        services.AddSingleton<IOutcomeSink>(sp => sp.GetRequiredService<OutcomeChannel>());
        services.AddSingleton<OutcomeRecorder>();
        services.AddHostedService<OutcomeWriter>();

        var redis = !string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString("redis"));
        services.AddSingleton(new RedisPresence(redis));
        if (redis)
        {
            // Not a readiness dependency: the gateway serves (and stays healthy) while Redis is down.
            // Redis tracing profiles every command (outcome batches included) through a session per span: only
            // worth it when spans are exported.
            var traced = builder.IsTelemetryExported();
            builder.AddRedisClient("redis",
                settings => { settings.DisableHealthChecks = true; settings.DisableAutoActivation = true; settings.DisableTracing = !traced; },
                options => options.AbortOnConnectFail = false);
            services.AddHostedService<RedisSnapshotSubscriber>();
            services.AddHostedService<RedisKeySync>();
            services.AddHostedService<BudgetReconciler>();
        }
        services.AddHostedService<StartupReport>();

        // One handler: the middleware (every other endpoint) and chat completions (which calls it itself) share it.
        services.AddSingleton<GatewayExceptionHandler>();
        services.AddSingleton<Microsoft.AspNetCore.Diagnostics.IExceptionHandler>(static sp => sp.GetRequiredService<GatewayExceptionHandler>());
        services.AddProblemDetails();
    }

    public static void MapApplicationEndpoints(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        // Every endpoint but chat completions, which handles its own (see ChatCompletionsApi.CreateChatCompletion).
        app.UseWhen(static c => !c.Request.Path.Equals(ChatCompletionsApi.ChatPath, StringComparison.OrdinalIgnoreCase), static b => b.UseExceptionHandler());
        // Validate the routing document at start-up: a bad one stops the process with the reasons.
        _ = app.Services.GetRequiredService<IRoutingStore>().Current;
        app.MapChatCompletionsApi();
    }
}
