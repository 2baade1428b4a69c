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
/// does for the gateways, so an SLO added in the editor counts without touching the file; a Redis outage keeps the
/// last one read. Both are looked up every few seconds by this hosted service, which swaps an immutable snapshot:
/// readers (every API request) never wait for Redis or the file system, nor for each other.
/// </summary>
internal sealed partial class RouteObjectives : BackgroundService
{
    private static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(5);

    private readonly IConfiguration _configuration;
    private readonly ILogger<RouteObjectives> _logger;
    private readonly TimeProvider _time;
    private readonly IConnectionMultiplexer? _redis;
    private volatile Snapshot _snapshot;

    // Touched by the refresh loop only (and the constructor before it starts).
    private string? _publishedVersion;
    private RoutingDocument? _published;
    private RoutingDocument? _baseline;
    private DateTime _loadedWrite;
    private bool _inlineLoaded;

    public RouteObjectives(IConfiguration configuration, ILogger<RouteObjectives> logger, TimeProvider time, IConnectionMultiplexer? redis = null)
    {
        _configuration = configuration;
        _logger = logger;
        _time = time;
        _redis = redis;
        // The baseline is local (inline or a file): known from the first request on; the published one follows within
        // a refresh.
        RefreshBaseline();
        _snapshot = Snapshot.Of(_baseline);
    }

    public IReadOnlyDictionary<string, SloConfig> Current => _snapshot.Objectives;

    /// <summary>The whole routing document last read (routes and price overrides), null when there is none.</summary>
    public RoutingDocument? Document => _snapshot.Document;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(RefreshInterval, _time);
        do
        {
            await RefreshAsync();
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    internal async Task RefreshAsync()
    {
        await RefreshPublishedAsync();
        if (_published is null)
        {
            RefreshBaseline();
        }
        var document = _published ?? _baseline;
        if (!ReferenceEquals(document, _snapshot.Document))
        {
            _snapshot = Snapshot.Of(document);
        }
    }

    private async Task RefreshPublishedAsync()
    {
        if (_redis is null)
        {
            return;
        }
        try
        {
            var db = _redis.GetDatabase();
            var version = (string?)await db.StringGetAsync(RedisKeys.RoutingVersion);
            if (version is null || version == _publishedVersion)
            {
                return;
            }
            var json = (string?)await db.StringGetAsync(RedisKeys.RoutingDocument);
            if (json is null)
            {
                return;
            }
            var document = JsonSerializer.Deserialize(json, RoutingDocumentJson.Default.RoutingDocument);
            if (document is not null)
            {
                _publishedVersion = version;
                _published = document;
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or JsonException)
        {
            LogUnreadable(_logger, RedisKeys.RoutingDocument, ex);
        }
    }

    private void RefreshBaseline()
    {
        if (_configuration["Switchboard:RoutingJson"] is { Length: > 0 } inline)
        {
            if (!_inlineLoaded)
            {
                _inlineLoaded = true;
                Load(inline, "Switchboard:RoutingJson");
            }
            return;
        }
        var path = _configuration["config"] ?? _configuration["SWITCHBOARD_CONFIG"];
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
            LogUnreadable(_logger, path, ex);
        }
    }

    private void Load(string json, string source)
    {
        try
        {
            _baseline = JsonSerializer.Deserialize(json, RoutingDocumentJson.Default.RoutingDocument);
        }
        catch (JsonException ex)
        {
            LogUnreadable(_logger, source, ex);
        }
    }

    /// <summary>One document and the SLOs of its routes, never changed once published to readers.</summary>
    private sealed record Snapshot(RoutingDocument? Document, IReadOnlyDictionary<string, SloConfig> Objectives)
    {
        public static Snapshot Of(RoutingDocument? document) => new(document,
            (document?.Routes ?? new Dictionary<string, RouteConfig>())
                .Where(r => r.Value.Slo is not null)
                .ToDictionary(r => r.Key, r => r.Value.Slo!, StringComparer.Ordinal));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Routing document {Source} could not be read for route SLOs; keeping the last ones")]
    private static partial void LogUnreadable(ILogger logger, string source, Exception exception);
}
