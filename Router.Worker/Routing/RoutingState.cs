using Switchboard.Contracts.Routing;
using Switchboard.Router.Health;

namespace Switchboard.Router.Routing;

/// <summary>The effective routing document: parsed (with <c>${NAME}</c> expanded) plus its raw text and version.</summary>
internal sealed record ActiveRouting(long Version, string Text, RoutingDocument Document)
{
    public static readonly ActiveRouting Empty = new(0, "{}", new RoutingDocument());

    /// <summary>Every provider + model that a route targets.</summary>
    public IReadOnlyList<DeploymentKey> Deployments { get; } =
        [.. Document.Routes.Values.SelectMany(r => r.Targets).Select(t => new DeploymentKey(t.Provider, t.Model)).Distinct()];
}

/// <summary>
/// Holds the routing document this replica works with: the newest published version (controldb, mirrored in
/// Redis), else the <c>--config</c> / <c>SWITCHBOARD_CONFIG</c> / <c>Switchboard:RoutingJson</c> baseline.
/// Swapped whole; readers take the reference.
/// </summary>
internal sealed class RoutingState(IConfiguration configuration)
{
    private volatile ActiveRouting _current = ActiveRouting.Empty;

    public ActiveRouting Current => _current;

    public event Action<ActiveRouting>? Changed;

    /// <summary>Parses and validates with the gateway's validator, expanding <c>${NAME}</c> from configuration.</summary>
    public RoutingParseResult Parse(string text) => RoutingDocumentValidator.Parse(text, name => configuration[name]);

    /// <summary>Takes a newer document; older or equal versions are ignored (version 0 only replaces 0).</summary>
    public bool TryApply(long version, string text)
    {
        var parsed = Parse(text);
        if (!parsed.IsValid)
        {
            return false;
        }
        var current = _current;
        if (version < current.Version || (version == current.Version && version != 0 && current != ActiveRouting.Empty))
        {
            return false;
        }
        var next = new ActiveRouting(version, text, parsed.Document!);
        _current = next;
        Changed?.Invoke(next);
        return true;
    }

    /// <summary>The baseline text from configuration, if any.</summary>
    public string? BaselineText()
    {
        var path = configuration["config"] ?? configuration["SWITCHBOARD_CONFIG"];
        if (!string.IsNullOrWhiteSpace(path))
        {
            return File.ReadAllText(path);
        }
        var inline = configuration["Switchboard:RoutingJson"];
        return string.IsNullOrWhiteSpace(inline) ? null : inline;
    }
}
