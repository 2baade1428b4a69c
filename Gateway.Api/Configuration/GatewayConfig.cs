using System.Collections.Concurrent;
using Switchboard.Contracts.Routing;
using Switchboard.Gateway.Accounting;
using Switchboard.Gateway.Keys;
using Switchboard.Gateway.Providers;

namespace Switchboard.Gateway.Configuration;

/// <summary>
/// A routing document compiled for the hot path: providers with their adapters and invokers, resolved routes,
/// hashed keys and prices. Immutable; a reload builds a new one and swaps it in, while requests in flight keep
/// the one they started with.
/// </summary>
internal sealed class GatewayConfig
{
    private readonly ConcurrentDictionary<string, ResolvedRoute> _direct = new(StringComparer.Ordinal);

    public required RoutingDocument Document { get; init; }
    public required IReadOnlyDictionary<string, ProviderRuntime> Providers { get; init; }
    public required IReadOnlyDictionary<string, ResolvedRoute> Routes { get; init; }
    public required KeyTable Keys { get; init; }
    public required PriceTable Prices { get; init; }
    public required string Source { get; init; }
    public required string[] ModelNames { get; init; }

    public static GatewayConfig Empty { get; } = new()
    {
        Document = new RoutingDocument(),
        Providers = new Dictionary<string, ProviderRuntime>(),
        Routes = new Dictionary<string, ResolvedRoute>(),
        Keys = KeyTable.None,
        Prices = PriceTable.Default,
        Source = "(none)",
        ModelNames = [],
    };

    /// <summary>
    /// The route for a model name: a route, or <c>provider/model</c> (one target, same attempt policy defaults).
    /// Null when unknown.
    /// </summary>
    public ResolvedRoute? Resolve(string model)
    {
        if (Routes.TryGetValue(model, out var route))
        {
            return route;
        }
        var slash = model.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == model.Length - 1)
        {
            return null;
        }
        if (_direct.TryGetValue(model, out var cached))
        {
            return cached;
        }
        // Clients choose these names: unknown providers are never cached and the cache is capped, so a stream of
        // made-up names cannot grow memory without bound.
        if (!Providers.TryGetValue(model[..slash], out var provider))
        {
            return null;
        }
        var direct = ResolvedRoute.From(model, new RouteConfig(), [new Target(provider, model[(slash + 1)..], 1)]);
        if (_direct.Count < MaxDirectRoutes)
        {
            _direct.TryAdd(model, direct);
        }
        return direct;
    }

    private const int MaxDirectRoutes = 1024;

    /// <summary><c>provider/model</c> routes kept for reuse (bounded).</summary>
    internal int CachedDirectRoutes => _direct.Count;

    public static GatewayConfig Build(
        RoutingDocument doc,
        string source,
        IReadOnlyDictionary<string, IProviderAdapter> adapters,
        ProviderClients clients,
        CredentialResolver credentials,
        List<string> warnings)
    {
        var providers = new Dictionary<string, ProviderRuntime>(StringComparer.Ordinal);
        foreach (var (name, p) in doc.Providers)
        {
            var baseUrl = new Uri(p.BaseUrl.TrimEnd('/'));
            var reference = p.ApiKey ?? (p.ApiKeys is { Count: > 0 } keys ? keys[0] : null);
            var key = credentials.Resolve(reference);
            if (reference is not null && key is null)
            {
                warnings.Add($"providers.{name}.apiKey: '{reference}' is not set; requests go out without a credential");
            }
            if (!adapters.TryGetValue(p.Type, out var adapter))
            {
                warnings.Add($"providers.{name}.type: no '{p.Type}' adapter in this build; its targets will fail over");
                adapter = new UnavailableAdapter(p.Type);
            }
            var endpoint = new ProviderEndpoint(name, p.Type, baseUrl, key, p.Headers, p.ApiVersion);
            providers[name] = new ProviderRuntime(name, p, adapter, clients.Get(name, baseUrl), endpoint);
        }

        var routes = new Dictionary<string, ResolvedRoute>(StringComparer.Ordinal);
        var names = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, r) in doc.Routes)
        {
            var targets = new Target[r.Targets.Count];
            for (var i = 0; i < targets.Length; i++)
            {
                var t = r.Targets[i];
                targets[i] = new Target(providers[t.Provider], t.Model, t.Weight);
            }
            routes[name] = ResolvedRoute.From(name, r, targets);
            if (seen.Add(name))
            {
                names.Add(name);
            }
        }
        foreach (var r in doc.Routes.Values)
        {
            foreach (var t in r.Targets)
            {
                var direct = $"{t.Provider}/{t.Model}";
                if (seen.Add(direct))
                {
                    names.Add(direct);
                }
            }
        }

        return new GatewayConfig
        {
            Document = doc,
            Providers = providers,
            Routes = routes,
            Keys = KeyTable.Build(doc.Keys, credentials, warnings),
            Prices = new PriceTable(doc.Prices),
            Source = source,
            ModelNames = [.. names],
        };
    }

    /// <summary>Stands in for a provider type this build has no adapter for: every attempt fails over.</summary>
    private sealed class UnavailableAdapter(string type) : IProviderAdapter
    {
        public string Type => type;
        public HttpRequestMessage CreateRequest(AttemptContext attempt) => throw new NotSupportedException($"provider type '{type}' is not available in this build");
        public ValueTask<TranslatedCompletion> ReadCompletionAsync(HttpResponseMessage response, AttemptContext attempt, CancellationToken cancellationToken) => throw new NotSupportedException();
        public IStreamTranslator CreateStreamTranslator(AttemptContext attempt) => throw new NotSupportedException();
        public ValueTask<UpstreamError> ReadErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}
