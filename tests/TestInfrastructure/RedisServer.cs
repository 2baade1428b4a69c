using System.Diagnostics;
using StackExchange.Redis;
using Testcontainers.Redis;
using Xunit;

namespace Switchboard.Testing;

/// <summary>
/// A real Redis for a test class or collection: a Testcontainers container when Docker answers, otherwise a
/// <c>redis-server</c> process on a free loopback port, started here and killed on dispose. Tests can stop and
/// restart it (<see cref="StopAsync"/>, <see cref="StartAsync"/>) to prove behaviour when Redis goes away.
/// </summary>
public sealed class RedisServer : IAsyncLifetime
{
    private RedisContainer? _container;
    private Process? _process;

    /// <summary>host:port of the server.</summary>
    public string Endpoint { get; private set; } = "";

    /// <summary>A StackExchange.Redis connection string that survives restarts.</summary>
    public string ConnectionString => $"{Endpoint},abortConnect=false,connectTimeout=2000";

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        if (Containers.DockerAvailable)
        {
            _container = new RedisBuilder("redis:7.0").Build();
            await _container.StartAsync();
            Endpoint = _container.GetConnectionString();
            return;
        }
        Endpoint = $"127.0.0.1:{FreePort.Next()}";
        await StartAsync();
    }

    /// <summary>Starts (or restarts) the local server on the same port.</summary>
    public async Task StartAsync()
    {
        if (_container is not null)
        {
            await _container.StartAsync();
            return;
        }
        var port = Endpoint.Split(':')[1];
        _process = Process.Start(new ProcessStartInfo("redis-server",
            $"--port {port} --bind 127.0.0.1 --save \"\" --appendonly no --protected-mode no")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException("redis-server did not start (run eng/setup.sh)");
        _process.OutputDataReceived += static (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            try
            {
                await using var mux = await ConnectionMultiplexer.ConnectAsync($"{Endpoint},connectTimeout=500");
                await mux.GetDatabase().PingAsync();
                return;
            }
            catch (RedisConnectionException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
    }

    /// <summary>Stops the server (kill, like a crash).</summary>
    public async Task StopAsync()
    {
        if (_container is not null)
        {
            await _container.StopAsync();
            return;
        }
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process?.Dispose();
        _process = null;
    }

    /// <summary>Removes every key (between tests sharing the server).</summary>
    public async Task FlushAsync()
    {
        await using var mux = await ConnectionMultiplexer.ConnectAsync($"{Endpoint},allowAdmin=true");
        foreach (var server in mux.GetServers())
        {
            await server.FlushAllDatabasesAsync();
        }
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (_container is not null)
        {
            await _container.DisposeAsync();
        }
        await StopAsync();
    }
}
