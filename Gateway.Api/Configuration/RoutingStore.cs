using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Switchboard.Contracts.Routing;
using Switchboard.Gateway.Providers;

namespace Switchboard.Gateway.Configuration;

/// <summary>The routing document in force.</summary>
internal interface IRoutingStore
{
    GatewayConfig Current { get; }
}

/// <summary>
/// Loads the routing document from <c>--config FILE</c> / <c>SWITCHBOARD_CONFIG</c> (watched: a change is applied
/// while running), or inline from <c>Switchboard:RoutingJson</c>; a document published in Redis overrides the
/// file. Every document is validated before it is used; a bad one at start-up stops the process with the
/// reasons, a bad reload keeps the last good document and logs why.
/// </summary>
internal sealed partial class RoutingStore : IRoutingStore, IDisposable
{
    private readonly IConfiguration _configuration;
    private readonly CredentialResolver _credentials;
    private readonly ProviderClients _clients;
    private readonly Dictionary<string, IProviderAdapter> _adapters;
    private readonly TimeProvider _timeProvider;
    private readonly GatewayOptions _options;
    private readonly ILogger<RoutingStore> _logger;
    private readonly Lock _gate = new();
    private PhysicalFileProvider? _files;
    private IDisposable? _watch;
    private ITimer? _debounce;
    private GatewayConfig _current = GatewayConfig.Empty;
    private GatewayConfig? _fileConfig;
    private bool _redisOverride;

    public RoutingStore(
        IConfiguration configuration,
        CredentialResolver credentials,
        ProviderClients clients,
        IEnumerable<IProviderAdapter> adapters,
        TimeProvider timeProvider,
        IOptions<GatewayOptions> options,
        ILogger<RoutingStore> logger)
    {
        ArgumentNullException.ThrowIfNull(adapters);
        ArgumentNullException.ThrowIfNull(options);
        _configuration = configuration;
        _credentials = credentials;
        _clients = clients;
        _timeProvider = timeProvider;
        _options = options.Value;
        _logger = logger;
        _adapters = new(StringComparer.Ordinal);
        foreach (var a in adapters)
        {
            _adapters[a.Type] = a;
        }
        FilePath = ConfiguredPath(configuration);
        LoadInitial();
    }

    public GatewayConfig Current => Volatile.Read(ref _current);

    /// <summary>The routing file, when one is configured.</summary>
    public string? FilePath { get; }

    /// <summary>Raised after a new document is in force.</summary>
    public event Action<GatewayConfig>? Changed;

    internal static string? ConfiguredPath(IConfiguration configuration)
    {
        var path = configuration["config"] ?? configuration["SWITCHBOARD_CONFIG"];
        return string.IsNullOrWhiteSpace(path) ? null : Path.GetFullPath(path);
    }

    private void LoadInitial()
    {
        if (FilePath is not null)
        {
            string json;
            try
            {
                json = File.ReadAllText(FilePath);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new InvalidOperationException($"Cannot read the routing document '{FilePath}': {ex.Message}", ex);
            }
            var config = Compile(json, FilePath, out var errors);
            if (config is null)
            {
                throw new InvalidOperationException($"The routing document '{FilePath}' is invalid:{Environment.NewLine}  " + string.Join(Environment.NewLine + "  ", errors));
            }
            _fileConfig = config;
            Swap(config);
            Watch();
            return;
        }
        var inline = _configuration["Switchboard:RoutingJson"];
        if (!string.IsNullOrWhiteSpace(inline))
        {
            var config = Compile(inline, "Switchboard:RoutingJson", out var errors)
                ?? throw new InvalidOperationException("The routing document in Switchboard:RoutingJson is invalid:" + Environment.NewLine + "  " + string.Join(Environment.NewLine + "  ", errors));
            _fileConfig = config;
            Swap(config);
            return;
        }
        LogNoDocument();
    }

    /// <summary>Parses, validates and compiles; null (with the reasons) when the document is not usable.</summary>
    internal GatewayConfig? Compile(string json, string source, out IReadOnlyList<RoutingError> errors)
    {
        var result = RoutingDocumentValidator.Parse(json, _credentials.Variable);
        errors = result.Errors;
        if (!result.IsValid)
        {
            return null;
        }
        var warnings = new List<string>();
        var config = GatewayConfig.Build(result.Document!, source, _adapters, _clients, _credentials, warnings);
        foreach (var w in warnings)
        {
            LogDocumentWarning(source, w);
        }
        return config;
    }

    /// <summary>Applies a document published in Redis (overrides the file); false when invalid.</summary>
    public bool ApplyPublished(string json, long version)
    {
        var source = $"redis (version {version})";
        var config = Compile(json, source, out var errors);
        if (config is null)
        {
            LogReloadRejected(source, string.Join("; ", errors));
            return false;
        }
        lock (_gate)
        {
            _redisOverride = true;
            Swap(config);
        }
        return true;
    }

    /// <summary>Re-reads the routing file now (the watcher calls this after its debounce).</summary>
    public void ReloadFile()
    {
        if (FilePath is null)
        {
            return;
        }
        string json;
        try
        {
            json = File.ReadAllText(FilePath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogReloadRejected(FilePath, ex.Message);
            return;
        }
        var config = Compile(json, FilePath, out var errors);
        if (config is null)
        {
            LogReloadRejected(FilePath, string.Join("; ", errors));
            return;
        }
        lock (_gate)
        {
            _fileConfig = config;
            if (_redisOverride)
            {
                LogFileShadowed(FilePath);
                return;
            }
            Swap(config);
        }
    }

    private void Swap(GatewayConfig config)
    {
        Volatile.Write(ref _current, config);
        LogLoaded(config.Source, config.Providers.Count, config.Routes.Count, config.Keys.Count);
        if (!config.Keys.Required)
        {
            LogNoKeys();
        }
        Changed?.Invoke(config);
    }

    private void Watch()
    {
        var dir = Path.GetDirectoryName(FilePath!)!;
        var name = Path.GetFileName(FilePath!);
        _files = new PhysicalFileProvider(dir) { UsePollingFileWatcher = _configuration.GetValue("Switchboard:PollRoutingFile", false) };
        _watch = ChangeToken.OnChange(() => _files.Watch(name), () =>
        {
            // Editors and `cp` write in several steps: wait for the file to settle.
            lock (_gate)
            {
                _debounce?.Dispose();
                _debounce = _timeProvider.CreateTimer(_ => ReloadFile(), null, TimeSpan.FromMilliseconds(_options.ReloadDebounceMs), Timeout.InfiniteTimeSpan);
            }
        });
    }

    public void Dispose()
    {
        _watch?.Dispose();
        _debounce?.Dispose();
        _files?.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Routing document loaded from {Source}: {Providers} providers, {Routes} routes, {Keys} keys")]
    private partial void LogLoaded(string source, int providers, int routes, int keys);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Routing document from {Source}: {Warning}")]
    private partial void LogDocumentWarning(string source, string warning);

    [LoggerMessage(Level = LogLevel.Error, Message = "Routing document from {Source} rejected, keeping the last good one: {Reasons}")]
    private partial void LogReloadRejected(string source, string reasons);

    [LoggerMessage(Level = LogLevel.Information, Message = "Routing file {Path} changed and is valid, but the document published in Redis stays in force")]
    private partial void LogFileShadowed(string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No routing document: pass --config FILE or set SWITCHBOARD_CONFIG (or Switchboard:RoutingJson); every model is unknown until one is published")]
    private partial void LogNoDocument();

    [LoggerMessage(Level = LogLevel.Warning, Message = "The routing document has no 'keys': no gateway key is required (local use only)")]
    private partial void LogNoKeys();
}
