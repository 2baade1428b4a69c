using Switchboard.Contracts.Routing;
using Switchboard.Gateway.Providers;

namespace Switchboard.Gateway.Configuration;

/// <summary>
/// A provider as the hot path uses it: its adapter, its long-lived HTTP invoker, and the resolved endpoint
/// (swapped whole when a <c>file:</c> credential is re-read).
/// </summary>
internal sealed class ProviderRuntime(string name, ProviderConfig config, IProviderAdapter adapter, HttpMessageInvoker invoker, ProviderEndpoint endpoint)
{
    private ProviderEndpoint _endpoint = endpoint;

    public string Name { get; } = name;
    public ProviderConfig Config { get; } = config;
    public IProviderAdapter Adapter { get; } = adapter;
    public HttpMessageInvoker Invoker { get; } = invoker;
    public string Type => Config.Type;
    public ProviderEndpoint Endpoint => Volatile.Read(ref _endpoint);

    /// <summary>Re-reads a refreshable credential after the provider refused it; true when it changed.</summary>
    public bool RefreshCredential(CredentialResolver resolver)
    {
        var reference = Config.ApiKey ?? Config.ApiKeys?[0];
        if (!CredentialResolver.IsRefreshable(reference))
        {
            return false;
        }
        var key = resolver.Resolve(reference);
        var current = Endpoint;
        if (key == current.ApiKey)
        {
            return false;
        }
        Volatile.Write(ref _endpoint, current with { ApiKey = key });
        return true;
    }
}

/// <summary>One target of a resolved route.</summary>
internal sealed record Target(ProviderRuntime Provider, string Model, double Weight)
{
    public override string ToString() => $"{Provider.Name}/{Model}";
}

/// <summary>A route ready for the attempt pipeline.</summary>
internal sealed record ResolvedRoute(
    string Name,
    string Strategy,
    Target[] Targets,
    TimeSpan? FirstTokenTimeout,
    TimeSpan AttemptTimeout,
    TimeSpan RequestTimeout,
    int MaxAttempts,
    int DefaultMaxTokens,
    decimal? MaxCostUsd = null)
{
    public static ResolvedRoute From(string name, RouteConfig route, Target[] targets)
    {
        var attempt = TimeSpan.FromMilliseconds(route.AttemptTimeoutMs);
        var request = route.RequestTimeoutMs is { } r ? TimeSpan.FromMilliseconds(r) : attempt * Math.Max(1, route.MaxAttempts);
        return new(name, route.Strategy, targets,
            route.FirstTokenTimeoutMs is { } ft ? TimeSpan.FromMilliseconds(ft) : null,
            attempt, request, route.MaxAttempts, route.DefaultMaxTokens ?? 4096, route.MaxCostUsd);
    }
}
