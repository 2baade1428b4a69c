using System.Text.Json;
using Switchboard.Contracts.Routing;

namespace Switchboard.Metrics.Slo;

/// <summary>
/// The <c>slo</c> of each route (and the document itself, for cascade tiers and prices), from the routing document: inline (<c>Switchboard:RoutingJson</c>) or a file
/// (<c>--config FILE</c> or <c>SWITCHBOARD_CONFIG</c>), re-read when the file changes. Only routes matter here, so the
/// document is deserialised without the gateway's validation (an unexpanded <c>${NAME}</c> in a baseUrl is fine).
/// </summary>
internal sealed partial class RouteObjectives(IConfiguration configuration, ILogger<RouteObjectives> logger)
{
    private readonly Lock _gate = new();
    private DateTime _loadedWrite;
    private IReadOnlyDictionary<string, SloConfig> _objectives = new Dictionary<string, SloConfig>();
    private RoutingDocument? _document;
    private bool _inlineLoaded;

    public IReadOnlyDictionary<string, SloConfig> Current
    {
        get
        {
            lock (_gate)
            {
                Refresh();
                return _objectives;
            }
        }
    }

    /// <summary>The whole routing document last read (routes and price overrides), null when there is none.</summary>
    public RoutingDocument? Document
    {
        get
        {
            lock (_gate)
            {
                Refresh();
                return _document;
            }
        }
    }

    private void Refresh()
    {
        if (configuration["Switchboard:RoutingJson"] is { Length: > 0 } inline)
        {
            if (!_inlineLoaded)
            {
                _inlineLoaded = true;
                Load(inline, "Switchboard:RoutingJson");
            }
            return;
        }
        var path = configuration["config"] ?? configuration["SWITCHBOARD_CONFIG"];
        if (string.IsNullOrEmpty(path) || !File.Exists(path))
        {
            return;
        }
        var written = File.GetLastWriteTimeUtc(path);
        if (written == _loadedWrite)
        {
            return;
        }
        _loadedWrite = written;
        try
        {
            Load(File.ReadAllText(path), path);
        }
        catch (IOException ex)
        {
            LogUnreadable(logger, path, ex);
        }
    }

    private void Load(string json, string source)
    {
        try
        {
            var document = JsonSerializer.Deserialize(json, RoutingDocumentJson.Default.RoutingDocument);
            _document = document;
            _objectives = (document?.Routes ?? new Dictionary<string, RouteConfig>())
                .Where(r => r.Value.Slo is not null)
                .ToDictionary(r => r.Key, r => r.Value.Slo!, StringComparer.Ordinal);
        }
        catch (JsonException ex)
        {
            LogUnreadable(logger, source, ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Routing document {Source} could not be read for route SLOs; keeping the last ones")]
    private static partial void LogUnreadable(ILogger logger, string source, Exception exception);
}
