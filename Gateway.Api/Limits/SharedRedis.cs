using StackExchange.Redis;
using Switchboard.Gateway.Outcomes;

namespace Switchboard.Gateway.Limits;

/// <summary>
/// Redis as the hot path may use it: never blocks on a connect and never waits long. <see cref="Database"/> is
/// null when no connection string is configured, before the first connect has finished (it runs in the
/// background), and while the connection is down; callers then fall back to their local state.
/// </summary>
internal sealed class SharedRedis
{
    private readonly IServiceProvider _services;
    private readonly bool _configured;
    private readonly Lock _gate = new();
    private IConnectionMultiplexer? _mux;
    private Task? _connecting;

    public SharedRedis(IServiceProvider services, RedisPresence presence)
    {
        ArgumentNullException.ThrowIfNull(presence);
        _services = services;
        _configured = presence.Configured;
    }

    /// <summary>Raised (on a Redis thread) when the connection comes back after a failure.</summary>
    public event Action? Restored;

    /// <summary>The database when connected; null means: use local state.</summary>
    public IDatabase? Database
    {
        get
        {
            var mux = Volatile.Read(ref _mux);
            if (mux is null)
            {
                StartConnecting();
                return null;
            }
            return mux.IsConnected ? mux.GetDatabase() : null;
        }
    }

    /// <summary>
    /// Like <see cref="Database"/>, but before the first connect has finished it waits for it (once per process):
    /// budgets and key limits must not be decided on local state only because the gateway just started.
    /// </summary>
    public async ValueTask<IDatabase?> GetDatabaseAsync()
    {
        if (_configured && Volatile.Read(ref _mux) is null)
        {
            await StartConnecting().ConfigureAwait(false);
        }
        return Database;
    }

    /// <summary>The multiplexer once connected at least once (pub/sub users).</summary>
    public IConnectionMultiplexer? Multiplexer => Volatile.Read(ref _mux);

    /// <summary>Starts the background connect; completes when the multiplexer exists (connected or not).</summary>
    public Task StartConnecting()
    {
        if (!_configured)
        {
            return Task.CompletedTask;
        }
        lock (_gate)
        {
            return _connecting ??= Task.Run(() =>
            {
                try
                {
                    var mux = _services.GetRequiredService<IConnectionMultiplexer>();
                    mux.ConnectionRestored += (_, _) => Restored?.Invoke();
                    Volatile.Write(ref _mux, mux);
                }
                catch (Exception ex) when (ex is RedisException or InvalidOperationException)
                {
                    // AbortOnConnectFail=false makes this rare; try again on the next use.
                    lock (_gate)
                    {
                        _connecting = null;
                    }
                }
            });
        }
    }
}
