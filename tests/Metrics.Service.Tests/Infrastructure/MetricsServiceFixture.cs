using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Npgsql;
using StackExchange.Redis;
using Switchboard.Contracts.Outcomes;
using Switchboard.Contracts.Redis;
using Switchboard.Testing;

namespace Switchboard.Metrics.Tests.Infrastructure;

/// <summary>
/// Metrics.Service in-process (WebApplicationFactory) against a real redis-server of its own and a throwaway
/// PostgreSQL database; one per test class.
/// </summary>
public class MetricsServiceFixture : IAsyncLifetime
{
    public const string AdminKey = "test-admin-key-3f9a1c0b7d";

    private WebApplicationFactory<Program>? _factory;
    private ConnectionMultiplexer? _mux;

    public RedisServer Redis { get; } = new();
    public PostgresDatabase Postgres { get; } = new();
    public HttpClient Client { get; private set; } = null!;
    public WebApplicationFactory<Program> Factory => _factory!;
    public IDatabase RedisDb => _mux!.GetDatabase();

    /// <summary>Extra configuration of the service under test.</summary>
    protected virtual IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>();

    public virtual async Task InitializeAsync()
    {
        await Redis.InitializeAsync();
        await Postgres.InitializeAsync();
        _mux = await ConnectionMultiplexer.ConnectAsync(Redis.ConnectionString);
        await BeforeServiceStartsAsync();
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            web.UseSetting("ConnectionStrings:redis", Redis.ConnectionString);
            web.UseSetting("ConnectionStrings:metricsdb", Postgres.ConnectionString);
            web.UseSetting("Switchboard:AdminKey", AdminKey);
            web.UseSetting("Metrics:IdlePoll", "00:00:00.020");
            web.UseSetting("Metrics:MaxRetryDelay", "00:00:00.500");
            web.UseSetting("Metrics:ConsumerName", "test");
            foreach (var (key, value) in Settings)
            {
                web.UseSetting(key, value);
            }
        });
        Client = _factory.CreateClient();
        Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        await Wait.UntilAsync(async () => (await Client.GetAsync("/health")).IsSuccessStatusCode, "the service to become ready");
    }

    /// <summary>Runs once Redis and PostgreSQL are up, before the service starts.</summary>
    protected virtual Task BeforeServiceStartsAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        Client?.Dispose();
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }
        if (_mux is not null)
        {
            await _mux.DisposeAsync();
        }
        await Redis.DisposeAsync();
        // DROP DATABASE ... WITH (FORCE) cannot end an autovacuum worker for a non-superuser: wait for it to finish.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await Postgres.DisposeAsync();
                return;
            }
            catch (PostgresException) when (attempt < 30)
            {
                await Task.Delay(500);
            }
        }
    }

    /// <summary>XADDs events to the outcomes stream the way the gateway does.</summary>
    public async Task PublishAsync(IEnumerable<OutcomeEvent> events)
    {
        var batch = RedisDb.CreateBatch();
        var adds = events
            .Select(e => batch.StreamAddAsync(RedisKeys.OutcomesStream, RedisKeys.OutcomeField,
                JsonSerializer.Serialize(e, ContractJson.Default.OutcomeEvent)))
            .ToList();
        batch.Execute();
        await Task.WhenAll(adds);
    }

    public async Task PublishRawAsync(string json) =>
        await RedisDb.StreamAddAsync(RedisKeys.OutcomesStream, RedisKeys.OutcomeField, json);

    public async Task<long> ScalarAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(Postgres.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public Task<long> RowCountAsync() => ScalarAsync("SELECT count(*) FROM request_log");

    public async Task WaitForRowsAsync(long expected, int timeoutSeconds = 60) =>
        await Wait.UntilAsync(async () => await RowCountAsync() >= expected, $"{expected} rows in request_log", timeoutSeconds);

    /// <summary>Entries the metrics group has read but not acknowledged, plus entries it has not read yet.</summary>
    public async Task<(long Pending, long Lag)> GroupStateAsync()
    {
        var groups = await RedisDb.StreamGroupInfoAsync(RedisKeys.OutcomesStream);
        var group = groups.Single(g => g.Name == RedisKeys.MetricsConsumerGroup);
        return (group.PendingMessageCount, group.Lag ?? 0);
    }
}

public static class Wait
{
    public static async Task UntilAsync(Func<Task<bool>> condition, string what, int timeoutSeconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        while (true)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (Exception) when (DateTime.UtcNow < deadline)
            {
                // Not there yet (service starting, database away): try again.
            }
            if (DateTime.UtcNow >= deadline)
            {
                throw new TimeoutException($"Timed out waiting for {what}");
            }
            await Task.Delay(50);
        }
    }
}
