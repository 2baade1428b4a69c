using System.Globalization;
using System.Net.Http.Json;
using Npgsql;
using StackExchange.Redis;
using Switchboard.Testing;

namespace Switchboard.Testing.Stack;

/// <summary>
/// Switchboard as it runs in production, every part its own process on loopback: Redis (with an append-only file),
/// a private PostgreSQL cluster (metricsdb, controldb), Provider.Simulator, Metrics.Service, Router.Worker and two
/// gateway replicas, all started from their built dlls and configured through the environment. One route, <c>chat</c>,
/// with a single target, so that nothing hides a failure behind a fallback; its credential is a <c>file:</c> secret
/// that can be rotated while the load runs.
/// </summary>
public sealed partial class SwitchboardStack : IAsyncDisposable
{
    public const string GatewayKey = "sk-faults-gateway-3c1f9a27d4e8";
    public const string AdminKey = "faults-admin-key-8f2d6c41b7e09a53";
    public const string Provider = "alpha";
    public const string Model = "gpt-4o-2024-08-06";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    private readonly Action<string> _log;
    private readonly StackOptions _options;
    private ConnectionMultiplexer? _redisClient;
    private readonly string _keySalt = Guid.NewGuid().ToString("N")[..12];
    private int _keyVersion = 1;

    private SwitchboardStack(Scratch scratch, Action<string> log, StackOptions options)
    {
        Scratch = scratch;
        _log = log;
        _options = options;
    }

    public Scratch Scratch { get; }
    public ChildProcess Redis { get; private set; } = null!;
    public PrivatePostgres Postgres { get; private set; } = null!;
    public ChildProcess Simulator { get; private set; } = null!;
    public ChildProcess Metrics { get; private set; } = null!;
    public ChildProcess Router { get; private set; } = null!;
    public IReadOnlyList<ChildProcess> Gateways { get; private set; } = [];
    public string KeyFile => Scratch.File("alpha.key");
    public string CurrentProviderKey => $"sk-alpha-v{_keyVersion}-{_keySalt}";

    /// <summary>Every process with its RSS, for the soak table.</summary>
    public IEnumerable<(string Name, double RssMb)> Memory()
    {
        foreach (var g in Gateways)
        {
            yield return (g.Name, g.RssMb());
        }
        yield return (Router.Name, Router.RssMb());
        yield return (Metrics.Name, Metrics.RssMb());
        yield return (Simulator.Name, Simulator.RssMb());
        yield return (Redis.Name, Redis.RssMb());
        yield return ("postgres", Postgres.RssMb());
    }

    public static Task<SwitchboardStack> StartAsync(Action<string> log, CancellationToken ct = default) =>
        StartAsync(new StackOptions(), log, ct);

    public static async Task<SwitchboardStack> StartAsync(StackOptions options, Action<string> log, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var stack = new SwitchboardStack(Scratch.Create(), log, options);
        try
        {
            await stack.StartAllAsync(ct);
            return stack;
        }
        catch
        {
            await stack.DisposeAsync();
            throw;
        }
    }

    private async Task StartAllAsync(CancellationToken ct)
    {
        var redisPort = FreePort.Next();
        Redis = DurableRedis.Create(Scratch, redisPort);
        var postgres = PrivatePostgres.CreateAsync(Scratch, ["metricsdb", "controldb"], ct);
        await Redis.StartAsync(StartTimeout, ct);
        Postgres = await postgres;
        _log($"redis 127.0.0.1:{redisPort} (append-only file), postgres 127.0.0.1:{Postgres.Port} (private cluster)");

        var redis = DurableRedis.ConnectionString(redisPort);
        var simulatorPort = FreePort.Next();
        await File.WriteAllTextAsync(KeyFile, CurrentProviderKey, ct);
        var routing = Scratch.File("routing.json");
        await File.WriteAllTextAsync(routing, RoutingDocument(simulatorPort, KeyFile, _options.ExtraProviders), ct);

        Simulator = Service("simulator", "Provider.Simulator", simulatorPort, new());
        await Simulator.StartAsync(StartTimeout, ct);
        await ConfigureProviderAsync(Provider, new { type = "openai", ttftMs = new { p50 = 5, p99 = 40 }, tokensPerSecond = 400, outputTokens = 12, apiKey = CurrentProviderKey }, ct);
        foreach (var extra in _options.ExtraProviders.Where(p => p.BaseUrl is null))
        {
            await ConfigureProviderAsync(extra.Name, new { type = extra.Type, ttftMs = new { p50 = 5, p99 = 40 }, tokensPerSecond = 400, outputTokens = 12, apiKey = extra.ApiKey }, ct);
        }

        var common = new Dictionary<string, string>
        {
            ["ConnectionStrings__redis"] = redis,
            ["SWITCHBOARD_CONFIG"] = routing,
            ["FAULTS_GATEWAY_KEY"] = GatewayKey,
            ["Switchboard__AdminKey"] = AdminKey,
        };
        foreach (var extra in _options.ExtraProviders)
        {
            common[extra.KeyVariable] = extra.ApiKey;
        }
        foreach (var (k, v) in _options.Environment)
        {
            common[k] = v;
        }
        Metrics = Service("metrics", "Metrics.Service", FreePort.Next(), new(common)
        {
            ["ConnectionStrings__metricsdb"] = Postgres.ConnectionString("metricsdb"),
        });
        // Short lease and claim times: a restarted router takes over (and claims what its predecessor left
        // pending) within seconds rather than the production 10 s + 30 s, so the suite stays short.
        Router = Service("router", "Router.Worker", FreePort.Next(), new(common)
        {
            ["ConnectionStrings__controldb"] = Postgres.ConnectionString("controldb"),
            ["Switchboard__Router__LeaseTtl"] = "00:00:05",
            ["Switchboard__Router__LeaseRenewInterval"] = "00:00:01",
            ["Switchboard__Router__ClaimMinIdle"] = "00:00:05",
            ["Switchboard__Router__ClaimInterval"] = "00:00:02",
        });
        Gateways =
        [
            Service("gateway-a", "Gateway.Api", FreePort.Next(), new(common) { ["Switchboard__Gateway__InstanceId"] = "gateway-a" }),
            Service("gateway-b", "Gateway.Api", FreePort.Next(), new(common) { ["Switchboard__Gateway__InstanceId"] = "gateway-b" }),
        ];
        await Task.WhenAll(new[] { Metrics, Router }.Concat(Gateways).Select(p => p.StartAsync(StartTimeout, ct)));
        _log($"simulator :{Simulator.Port}, metrics :{Metrics.Port}, router :{Router.Port}, gateways :{Gateways[0].Port} :{Gateways[1].Port}");
    }

    private ChildProcess Service(string name, string project, int port, Dictionary<string, string> env)
    {
        var dll = RepoLayout.Dll(project);
        env["ASPNETCORE_ENVIRONMENT"] = "Production";
        env["Logging__LogLevel__Default"] = _options.LogLevel;
        env["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        if (_options.ServiceEnvironment.TryGetValue(name, out var own))
        {
            foreach (var (k, v) in own)
            {
                env[k] = v;
            }
        }
        return new ChildProcess(name, port, "dotnet", [dll, "--urls", $"http://127.0.0.1:{port}"], env, ChildProcess.HttpReady("/health"), Scratch);
    }

    private static string RoutingDocument(int simulatorPort, string keyFile, IReadOnlyList<ExtraProvider> extras)
    {
        // Each extra provider gets a route of its own name, one target, no retries on another provider.
        var providers = string.Concat(extras.Select(e => $$"""
            ,
                "{{e.Name}}": { "type": "{{e.Type}}", "baseUrl": "{{e.BaseUrl ?? DefaultBaseUrl(simulatorPort, e)}}", "apiKey": "env:{{e.KeyVariable}}" }
            """));
        var routes = string.Concat(extras.Select(e => $$"""
            ,
                "{{e.Name}}": { "targets": [ { "provider": "{{e.Name}}", "model": "{{e.Model}}" } ], "attemptTimeoutMs": 20000, "maxAttempts": 2 }
            """));
        return $$"""
            {
              "providers": {
                "{{Provider}}": { "type": "openai", "baseUrl": "http://127.0.0.1:{{simulatorPort}}/{{Provider}}/v1", "apiKey": "file:{{keyFile}}" }{{providers}}
              },
              "routes": {
                "chat": {
                  "targets": [ { "provider": "{{Provider}}", "model": "{{Model}}" } ],
                  "attemptTimeoutMs": 20000,
                  "maxAttempts": 3
                }{{routes}}
              },
              "keys": [ { "name": "faults", "key": "env:FAULTS_GATEWAY_KEY" } ]
            }
            """;
    }

    /// <summary>Where the simulator serves a provider of this type (openai keeps /v1 in the base URL, as OpenAI's does).</summary>
    private static string DefaultBaseUrl(int simulatorPort, ExtraProvider e) =>
        e.Type == "openai" ? $"http://127.0.0.1:{simulatorPort}/{e.Name}/v1" : $"http://127.0.0.1:{simulatorPort}/{e.Name}";

    /// <summary>Starts whatever is not running (a test that failed half way must not break the next one).</summary>
    public async Task EnsureRunningAsync(CancellationToken ct = default)
    {
        if (!Redis.Running)
        {
            await Redis.StartAsync(StartTimeout, ct);
        }
        if (!Postgres.Running)
        {
            await Postgres.StartAsync(ct);
        }
        foreach (var p in new[] { Simulator, Metrics, Router }.Concat(Gateways))
        {
            if (!p.Running)
            {
                await p.StartAsync(StartTimeout, ct);
            }
        }
    }

    /// <summary>
    /// Rotates the provider credential as an operator does: the new key is written to the secret file first (the
    /// provider has issued it), then the provider revokes the old one. Gateways still sending the old key get a 401,
    /// re-read the file and retry.
    /// </summary>
    public async Task RotateProviderKeyAsync(CancellationToken ct = default)
    {
        _keyVersion++;
        var temp = KeyFile + ".new";
        await File.WriteAllTextAsync(temp, CurrentProviderKey, ct);
        File.Move(temp, KeyFile, overwrite: true);
        await ConfigureProviderAsync(Provider, new { apiKey = CurrentProviderKey }, ct);
    }

    private async Task ConfigureProviderAsync(string provider, object patch, CancellationToken ct)
    {
        using var http = new HttpClient { BaseAddress = Simulator.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        using var response = await http.PutAsJsonAsync($"/_sim/providers/{provider}", patch, ct);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>What PostgreSQL holds for one task (one test run).</summary>
    public async Task<Ledger> LedgerAsync(string task, CancellationToken ct = default)
    {
        await using var conn = new NpgsqlConnection(Postgres.ConnectionString("metricsdb"));
        await conn.OpenAsync(ct);
        var ledger = new Ledger();
        await using (var cmd = new NpgsqlCommand("""
            SELECT gateway, count(*), count(DISTINCT request_id), count(*) FILTER (WHERE counted),
                   count(*) FILTER (WHERE error_class = 'Auth')
            FROM request_log WHERE task = @task GROUP BY gateway
            """, conn))
        {
            cmd.Parameters.AddWithValue("task", task);
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var gateway = reader.IsDBNull(0) ? "" : reader.GetString(0);
                ledger.RowsByGateway[gateway] = reader.GetInt64(1);
                ledger.Rows += reader.GetInt64(1);
                ledger.Requests += reader.GetInt64(2);
                ledger.CountedRows += reader.GetInt64(3);
                ledger.AuthFailures += reader.GetInt64(4);
            }
        }
        await using (var cmd = new NpgsqlCommand(
            "SELECT coalesce(sum(attempts), 0)::bigint, coalesce(sum(requests), 0)::bigint FROM rollup_minute WHERE task = @task", conn))
        {
            cmd.Parameters.AddWithValue("task", task);
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            ledger.RollupAttempts = reader.GetInt64(0);
            ledger.RollupRequests = reader.GetInt64(1);
        }
        return ledger;
    }

    /// <summary>
    /// Polls PostgreSQL until the rows of a task reach <paramref name="expected"/> and stop changing, or the timeout
    /// passes; returns the last ledger either way (the caller asserts).
    /// </summary>
    public async Task<Ledger> WaitForLedgerAsync(string task, long expected, TimeSpan timeout, CancellationToken ct = default)
    {
        var deadline = DateTime.UtcNow + timeout;
        Ledger? last = null;
        while (true)
        {
            try
            {
                var ledger = await LedgerAsync(task, ct);
                if (ledger.Rows >= expected && last is not null && ledger.Rows == last.Rows && ledger.RollupAttempts == ledger.Rows)
                {
                    return ledger;
                }
                last = ledger;
            }
            catch (NpgsqlException) when (DateTime.UtcNow < deadline)
            {
            }
            if (DateTime.UtcNow >= deadline)
            {
                return last ?? new Ledger();
            }
            await Task.Delay(500, ct);
        }
    }

    /// <summary>Pending (delivered, not acknowledged) entries and lag (not yet delivered) of a consumer group.</summary>
    public async Task<(long Pending, long? Lag)> GroupAsync(string group)
    {
        _redisClient ??= await ConnectionMultiplexer.ConnectAsync(DurableRedis.ConnectionString(Redis.Port) + ",connectTimeout=2000");
        var result = (RedisResult[])(await _redisClient.GetDatabase().ExecuteAsync("XINFO", "GROUPS", Switchboard.Contracts.Redis.RedisKeys.OutcomesStream))!;
        foreach (var g in result)
        {
            var fields = (RedisResult[])g!;
            var map = new Dictionary<string, RedisResult>(StringComparer.Ordinal);
            for (var i = 0; i + 1 < fields.Length; i += 2)
            {
                map[(string)fields[i]!] = fields[i + 1];
            }
            if ((string)map["name"]! == group)
            {
                var lag = map.TryGetValue("lag", out var l) && !l.IsNull ? (long?)(long)l : null;
                return ((long)map["pending"], lag);
            }
        }
        throw new InvalidOperationException($"consumer group {group} not found");
    }

    /// <summary>Waits (bounded) until a group has acknowledged everything delivered and nothing is left undelivered.</summary>
    public async Task<(long Pending, long? Lag)> WaitForGroupDrainedAsync(string group, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        (long Pending, long? Lag) state = (-1, null);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                state = await GroupAsync(group);
                if (state.Pending == 0 && state.Lag == 0)
                {
                    return state;
                }
            }
            catch (RedisException)
            {
            }
            await Task.Delay(250);
        }
        return state;
    }

    /// <summary>
    /// Outcome events a gateway process has dropped (buffer full while Redis was away) since it last started: the
    /// last running total it logged after its last restart, 0 when it logged none.
    /// </summary>
    public static long OutcomesDropped(ChildProcess gateway)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        var text = gateway.Output();
        var restart = text.LastIndexOf($"--- {gateway.Name} killed ---", StringComparison.Ordinal);
        var matches = DroppedLine().Matches(restart < 0 ? text : text[restart..]);
        return matches.Count == 0 ? 0 : long.Parse(matches[^1].Groups[1].Value, CultureInfo.InvariantCulture);
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"Outcome events dropped since start: (\d+)")]
    private static partial System.Text.RegularExpressions.Regex DroppedLine();

    /// <summary>Every process exit that no fault caused.</summary>
    public IReadOnlyList<string> Crashes() =>
        [.. new[] { Redis, Simulator, Metrics, Router }.Concat(Gateways).SelectMany(p => p.Crashes)];

    public string Tails() => string.Join("\n", new[] { Metrics, Router }.Concat(Gateways).Select(p => $"--- {p.Name}:\n{p.Tail()}"));

    public async ValueTask DisposeAsync()
    {
        if (_redisClient is not null)
        {
            await _redisClient.DisposeAsync();
        }
        foreach (var p in Gateways.Concat(new[] { Router, Metrics, Simulator, Redis }))
        {
            if (p is not null)
            {
                await p.DisposeAsync();
            }
        }
        if (Postgres is not null)
        {
            await Postgres.DisposeAsync();
        }
        Scratch.Dispose();
    }
}

/// <summary>How a stack differs from the default one (every field optional).</summary>
public sealed record StackOptions
{
    /// <summary>Default log level of every .NET service.</summary>
    public string LogLevel { get; init; } = "Warning";

    /// <summary>Extra environment for every .NET service (e.g. an OTLP endpoint).</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>Extra environment for one service, by name (gateway-a, gateway-b, router, metrics, simulator).</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> ServiceEnvironment { get; init; } =
        new Dictionary<string, IReadOnlyDictionary<string, string>>();

    /// <summary>Providers besides <c>alpha</c>, each with a route of its own name.</summary>
    public IReadOnlyList<ExtraProvider> ExtraProviders { get; init; } = [];
}

/// <summary>
/// A provider of the routing document besides <c>alpha</c>: simulated (no <see cref="BaseUrl"/>; the simulator is told
/// its type and key) or served by the test itself. Its key reaches every service as <see cref="KeyVariable"/>.
/// </summary>
public sealed record ExtraProvider(string Name, string Type, string Model, string ApiKey, string? BaseUrl = null)
{
    public string KeyVariable => "PROVIDER_KEY_" + Name.ToUpperInvariant().Replace('-', '_');
}

/// <summary>The request log and rollups of one run, as PostgreSQL holds them.</summary>
public sealed class Ledger
{
    public long Rows { get; set; }
    public long Requests { get; set; }
    public long CountedRows { get; set; }
    public long AuthFailures { get; set; }
    public long RollupAttempts { get; set; }
    public long RollupRequests { get; set; }
    public Dictionary<string, long> RowsByGateway { get; } = new(StringComparer.Ordinal);

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture,
            $"rows {Rows}, requests {Requests}, counted {CountedRows}, rollup attempts {RollupAttempts}, rollup requests {RollupRequests}, auth failures {AuthFailures}, by gateway [{string.Join(", ", RowsByGateway.Select(kv => $"{kv.Key}: {kv.Value}"))}]");
}
