using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Http.Resilience;
using MudBlazor.Services;
using Switchboard.Admin.Auth;
using Switchboard.Admin.Clients;
using Switchboard.Admin.Components;
using Switchboard.Admin.Security;

namespace Switchboard.Admin.Extensions;

public static class Extensions
{
    public static IHostApplicationBuilder AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        builder.Services.AddMudServices();
        builder.Services.TryAddTimeProvider();
        builder.AddAdminAuthentication();

        builder.Services.AddTransient<AdminKeyHandler>();
        builder.Services.AddInternalServiceClient<MetricsClient>("metrics").AddHttpMessageHandler<AdminKeyHandler>();
        builder.Services.AddInternalServiceClient<RouterClient>("router").AddHttpMessageHandler<AdminKeyHandler>();
        // Publishing a routing document or creating a key is not idempotent: never retried behind the operator's back.
        foreach (var client in new[] { nameof(MetricsClient), nameof(RouterClient) })
        {
            builder.Services.Configure<HttpStandardResilienceOptions>($"{client}-standard", o => o.Retry.DisableForUnsafeHttpMethods());
        }
        return builder;
    }

    private static void TryAddTimeProvider(this IServiceCollection services)
    {
        if (!services.Any(d => d.ServiceType == typeof(TimeProvider)))
        {
            services.AddSingleton(TimeProvider.System);
        }
    }

    public static WebApplication UseAdminPipeline(this WebApplication app)
    {
        if (!app.Environment.IsDevelopment())
        {
            app.UseExceptionHandler("/Error", createScopeForErrors: true);
        }
        app.UseSecurityHeaders();
        app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();
        return app;
    }

    public static WebApplication MapAdminUi(this WebApplication app)
    {
        app.MapStaticAssets();
        app.MapAuthApi();
        app.MapRazorComponents<App>()
            .AddInteractiveServerRenderMode(o => o.ContentSecurityFrameAncestorsPolicy = "'none'")
            .Add(endpoint =>
            {
                // The circuit hub (/_blazor) is where every interactive call runs: signed-in operators only. Its 401
                // must stay a 401, not be re-executed as the not-found page.
                if (endpoint is RouteEndpointBuilder { RoutePattern.RawText: { } pattern } && pattern.StartsWith("/_blazor", StringComparison.Ordinal))
                {
                    endpoint.Metadata.Add(new AuthorizeAttribute());
                    endpoint.Metadata.Add(new Microsoft.AspNetCore.Mvc.SkipStatusCodePagesAttribute());
                }
            });
        return app;
    }
}
