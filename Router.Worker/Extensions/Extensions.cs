using Azure.Identity;
using Azure.Security.KeyVault.Secrets;
using Switchboard.Router.Alerts;
using Switchboard.Router.Apis;
using Switchboard.Router.Credentials;
using Switchboard.Router.Data;
using Switchboard.Router.Health;
using Switchboard.Router.Keys;
using Switchboard.Router.Leadership;
using Switchboard.Router.Probes;
using Switchboard.Router.Quality;
using Switchboard.Router.Routing;
using Switchboard.Router.Snapshots;

namespace Switchboard.Router.Extensions;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        // Ready only when Redis and PostgreSQL answer: both clients register their health checks.
        builder.AddRedisClient("redis");
        builder.AddNpgsqlDataSource("controldb");

        var services = builder.Services;
        services.AddOptions<RouterOptions>().BindConfiguration(RouterOptions.Section)
            .Validate(o => o.LeaseTtl > o.LeaseRenewInterval * 2, "LeaseTtl must be more than twice LeaseRenewInterval")
            .Validate(o => o.StreamBatchSize > 0, "StreamBatchSize must be positive")
            .ValidateOnStart();
        services.AddOptions<HealthOptions>().BindConfiguration(HealthOptions.Section)
            .Validate(o => o.DegradedErrorRate < o.DownErrorRate, "DegradedErrorRate must be under DownErrorRate")
            .Validate(o => o.DownConsecutiveFailures > 0 && o.MinSamples > 0, "counts must be positive")
            .ValidateOnStart();
        services.AddSingleton(TimeProvider.System);

        services.AddSingleton<ControlDb>();
        services.AddSingleton<RoutingState>();
        services.AddSingleton<RoutingVersionStore>();
        services.AddSingleton<RoutingPublisher>();
        services.AddSingleton<GatewayKeyStore>();
        services.AddSingleton<HealthModel>();
        services.AddSingleton<QualityModel>();
        services.AddSingleton<QualityStore>();
        services.AddSingleton<CanaryMatcher>();
        services.AddSingleton<AlertStore>();
        services.AddSingleton<SnapshotTrigger>();
        services.AddSingleton<RouterMetrics>();
        services.AddSingleton<LeaderLease>();
        services.AddSingleton<CredentialStore>();
        services.AddSingleton<SecretResolver>();
        services.AddSecretStore(builder.Configuration);

        services.AddHttpClient<ProviderClient>()
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) });
        services.AddHttpClient(AlertStore.WebhookClient, c => c.Timeout = TimeSpan.FromSeconds(10));

        services.AddHostedService<LeaderLeaseService>();
        services.AddHostedSingleton<RoutingSync>();
        services.AddHostedSingleton<CredentialRefresher>();
        services.AddHostedSingleton<OutcomeConsumer>();
        services.AddHostedSingleton<OutcomeStreamTrimmer>();
        services.AddHostedSingleton<SnapshotPublisher>();
        services.AddHostedSingleton<ProbeScheduler>();
        services.AddHostedSingleton<CanaryRunner>();
        services.AddApiErrors();
    }

    public static void MapApplicationEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapHealthApi();
        app.MapAlertsApi();
        app.MapRoutingApi();
        app.MapKeysApi();
        app.MapQualityApi();
    }

    private static void AddHostedSingleton<T>(this IServiceCollection services) where T : class, IHostedService
    {
        services.AddSingleton<T>();
        services.AddHostedService(sp => sp.GetRequiredService<T>());
    }

    /// <summary>
    /// The store behind <c>secret:NAME</c>: <c>Switchboard:Secrets:Store</c> = <c>configuration</c> (default:
    /// <c>Secrets:NAME</c>, user secrets in development), <c>azurekeyvault</c> (<c>Switchboard:Secrets:KeyVaultUri</c>,
    /// DefaultAzureCredential: the managed identity azd assigns) or <c>vault</c> (<c>Switchboard:Secrets:Vault</c>).
    /// </summary>
    private static void AddSecretStore(this IServiceCollection services, IConfiguration configuration)
    {
        switch (configuration["Switchboard:Secrets:Store"]?.ToLowerInvariant())
        {
            case "azurekeyvault":
                var uri = configuration["Switchboard:Secrets:KeyVaultUri"]
                          ?? throw new InvalidOperationException("Switchboard:Secrets:KeyVaultUri is required for the azurekeyvault store");
                services.AddSingleton(new SecretClient(new Uri(uri), new DefaultAzureCredential()));
                services.AddSingleton<ISecretSource, AzureKeyVaultSecretSource>();
                break;
            case "vault":
                var vault = configuration.GetSection("Switchboard:Secrets:Vault").Get<VaultOptions>() ?? new VaultOptions();
                if (string.IsNullOrEmpty(vault.Address) || string.IsNullOrEmpty(vault.Token))
                {
                    throw new InvalidOperationException("Switchboard:Secrets:Vault:Address and :Token are required for the vault store");
                }
                services.AddHttpClient<HashiCorpVaultSecretSource>(c => c.Timeout = TimeSpan.FromSeconds(10));
                services.AddSingleton(vault);
                services.AddSingleton<ISecretSource>(sp => sp.GetRequiredService<HashiCorpVaultSecretSource>());
                break;
            default:
                services.AddSingleton<ISecretSource, ConfigurationSecretSource>();
                break;
        }
    }
}
