using Microsoft.Extensions.DependencyInjection.Extensions;
using Switchboard.Simulator.Apis;
using Switchboard.Simulator.Profiles;
using Switchboard.Simulator.Serving;

namespace Switchboard.Simulator.Extensions;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddSettingsBesideTheAssembly();

        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddOptions<SimulatorOptions>().BindConfiguration(SimulatorOptions.Section);
        builder.Services.AddSingleton<ProfileStore>();
        builder.Services.AddSingleton<ExchangeRunner>();
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, SimulatorJsonContext.Default));
    }

    public static void MapApplicationEndpoints(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapControlApi();
        app.MapProviderApis();
    }

    // Started as dotnet path/to/Provider.Simulator.dll from another directory, the content root is that directory and
    // appsettings.json (quiet logging, configured profiles) would be missed: read it from beside the assembly
    // instead, as the lowest-precedence source so environment and command line still win.
    private static void AddSettingsBesideTheAssembly(this IHostApplicationBuilder builder)
    {
        if (File.Exists(Path.Combine(builder.Environment.ContentRootPath, "appsettings.json")))
        {
            return;
        }

        var directory = AppContext.BaseDirectory;
        var sources = builder.Configuration.Sources;
        sources.Insert(0, new Microsoft.Extensions.Configuration.Json.JsonConfigurationSource
        {
            Path = $"appsettings.{builder.Environment.EnvironmentName}.json", Optional = true,
            FileProvider = new Microsoft.Extensions.FileProviders.PhysicalFileProvider(directory),
        });
        sources.Insert(0, new Microsoft.Extensions.Configuration.Json.JsonConfigurationSource
        {
            Path = "appsettings.json", Optional = true,
            FileProvider = new Microsoft.Extensions.FileProviders.PhysicalFileProvider(directory),
        });
    }
}
