using System.Text.Json;
using StackExchange.Redis;
using Switchboard.Contracts.Redis;
using Switchboard.Contracts.Routing;

namespace Switchboard.Metrics.Slo;

/// <summary>
/// The <c>slo</c> of each route (and the document itself, for cascade tiers and prices), from the routing document: inline (<c>Switchboard:RoutingJson</c>) or a file
/// (<c>--config FILE</c> or <c>SWITCHBOARD_CONFIG</c>), re-read when the file changes. Only routes matter here, so the
/// document is deserialised without the gateway's validation (an unexpanded <c>${NAME}</c> in a baseUrl is fine).
/// A document published through Router.Worker (Admin.Web edits, in Redis) takes precedence over that baseline, as it
/// does for the gateways, so an SLO added in the editor counts without touching the file; it is looked up at most every
/// few seconds, and a Redis outage keeps the last one read.
/// </summary>
internal sealed partial class RouteObjectives(IConfiguration configuration, ILogger<RouteObjectives> logger, TimeProvider time, IConnectionMultiplexer? redis = null)
{
    private static readonly TimeSpan PublishedCheckInterval = TimeSpan.FromSeconds(5);
    private DateTimeOffset _publishedCheckedAt = DateTimeOffset.MinValue;
    private string? _publishedVersion;
    private RoutingDocument? _published;

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
        RefreshPublished();
        if (_published is not null)
        {
            return;
        }
        RefreshBaseline();
    }

    private void RefreshPublished()
    {
        var now = time.GetUtcNow();
        if (redis is null || now - _publishedCheckedAt < PublishedCheckInterval)
        {
            return;
        }
        _publishedCheckedAt = now;
        try
        {
            var db = redis.GetDatabase();
            var version = (string?)db.StringGet(RedisKeys.RoutingVersion);
            if (version is null || version == _publishedVersion)
            {
                return;
            }
            var json = (string?)db.StringGet(RedisKeys.RoutingDocument);
            if (json is null)
            {
                return;
            }
            var document = JsonSerializer.Deserialize(json, RoutingDocumentJson.Default.RoutingDocument);
            if (document is not null)
            {
                _publishedVersion = version;
                _published = document;
                Apply(document);
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or JsonException)
        {
            LogUnreadable(logger, RedisKeys.RoutingDocument, ex);
        }
    }

    private void RefreshBaseline()
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
            Apply(JsonSerializer.Deserialize(json, RoutingDocumentJson.Default.RoutingDocument));
        }
        catch (JsonException ex)
        {
            LogUnreadable(logger, source, ex);
        }
    }

    private void Apply(RoutingDocument? document)
    {
        _document = document;
        _objectives = (document?.Routes ?? new Dictionary<string, RouteConfig>())
            .Where(r => r.Value.Slo is not null)
            .ToDictionary(r => r.Key, r => r.Value.Slo!, StringComparer.Ordinal);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Routing document {Source} could not be read for route SLOs; keeping the last ones")]
    private static partial void LogUnreadable(ILogger logger, string source, Exception exception);
}
