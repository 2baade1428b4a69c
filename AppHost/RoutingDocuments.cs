namespace Switchboard.AppHost;

/// <summary>
/// Which routing document the gateway and the router start from. Default: every provider served by
/// Provider.Simulator. When real provider keys are given as Aspire parameters
/// (<c>Parameters:openai-api-key</c> and the like, e.g. with <c>dotnet user-secrets</c>), the document
/// <c>routing/providers.json</c> that routes to the real APIs; <c>Switchboard:RoutingDocument</c> names any
/// other file.
/// </summary>
internal sealed record RoutingDocuments(string Path, IReadOnlyList<(string EnvName, IResourceBuilder<ParameterResource> Secret)> ProviderKeys)
{
    private static readonly (string EnvName, string Parameter)[] KnownKeys =
    [
        ("OPENAI_API_KEY", "openai-api-key"),
        ("ANTHROPIC_API_KEY", "anthropic-api-key"),
        ("GEMINI_API_KEY", "gemini-api-key"),
        ("DEEPSEEK_API_KEY", "deepseek-api-key"),
        ("QWEN_API_KEY", "qwen-api-key"),
        ("MISTRAL_API_KEY", "mistral-api-key"),
    ];

    public static RoutingDocuments Choose(IDistributedApplicationBuilder builder)
    {
        var given = KnownKeys.Where(k => !string.IsNullOrEmpty(builder.Configuration[$"Parameters:{k.Parameter}"])).ToArray();
        var configured = builder.Configuration["Switchboard:RoutingDocument"];
        var file = !string.IsNullOrWhiteSpace(configured)
            ? configured
            : System.IO.Path.Combine(builder.AppHostDirectory, "routing", given.Length > 0 ? "providers.json" : "simulator.json");
        var secrets = given.Select(k => (k.EnvName, builder.AddParameter(k.Parameter, secret: true))).ToArray();
        return new RoutingDocuments(System.IO.Path.GetFullPath(file, builder.AppHostDirectory), secrets);
    }
}

internal static class RoutingDocumentExtensions
{
    /// <summary>
    /// Run mode: the file path, so edits are picked up live. Publish mode: the document inline, because the
    /// file does not exist inside the deployed container.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithRoutingDocument(
        this IResourceBuilder<ProjectResource> project, IDistributedApplicationBuilder builder, RoutingDocuments routing) =>
        builder.ExecutionContext.IsPublishMode
            ? project.WithEnvironment("Switchboard__RoutingJson", File.ReadAllText(routing.Path))
            : project.WithEnvironment("SWITCHBOARD_CONFIG", routing.Path);

    public static IResourceBuilder<ProjectResource> WithProviderKeys(
        this IResourceBuilder<ProjectResource> project, RoutingDocuments routing)
    {
        foreach (var (envName, secret) in routing.ProviderKeys)
        {
            project.WithEnvironment(envName, secret);
        }
        return project;
    }
}
