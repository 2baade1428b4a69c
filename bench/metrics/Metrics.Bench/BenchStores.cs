using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using StackExchange.Redis;
using Switchboard.Contracts.Redis;
using Switchboard.Metrics.Data;
using Switchboard.Metrics.Ingestion;
using Switchboard.Testing;

namespace Switchboard.Metrics.Bench;

/// <summary>
/// The stores of one bench run: its own redis-server on a free port and, unless a kept database is reused, a fresh
/// throwaway PostgreSQL database, dropped on dispose unless <see cref="Keep"/> is set.
/// </summary>
internal sealed class BenchStores : IAsyncDisposable
{
    private readonly PostgresDatabase? _postgres;
    private ServiceProvider? _writerServices;

    private BenchStores(RedisServer redis, PostgresDatabase? postgres)
    {
        Redis = redis;
        _postgres = postgres;
    }

    public RedisServer Redis { get; }

    /// <summary>The throwaway database (only when started with one).</summary>
    public string Postgres => _postgres?.ConnectionString ?? throw new InvalidOperationException("started without PostgreSQL");

    /// <summary>Leave the database in place at the end (its connection string is printed), for a later <c>query --reuse</c>.</summary>
    public bool Keep { get; init; }

    public static async Task<BenchStores> StartAsync(bool postgres = true, bool keep = false)
    {
        var redis = new RedisServer();
        await redis.InitializeAsync();
        if (!postgres)
        {
            return new BenchStores(redis, null);
        }
        var database = new PostgresDatabase();
        try
        {
            await database.InitializeAsync();
        }
        catch
        {
            await redis.DisposeAsync();
            throw;
        }
        return new BenchStores(redis, database) { Keep = keep };
    }

    /// <summary>
    /// The service's own batch writer (binary COPY, idempotent insert, rollups) in this process, on the migrated database;
    /// its connections carry <paramref name="applicationName"/> so that <see cref="CpuMeter"/> can find their backends.
    /// </summary>
    public async Task<BatchWriter> MigratedWriterAsync(string? applicationName = null)
    {
        var cs = applicationName is null ? Postgres
            : new NpgsqlConnectionStringBuilder(Postgres) { ApplicationName = applicationName }.ConnectionString;
        _writerServices = new ServiceCollection()
            .AddDbContextPool<MetricsDbContext>(o => o.UseNpgsql(cs))
            .AddSingleton<MetricsDatabase>()
            .AddSingleton<BatchWriter>()
            .BuildServiceProvider();
        await using (var scope = _writerServices.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<MetricsDbContext>().Database.MigrateAsync();
        }
        return _writerServices.GetRequiredService<BatchWriter>();
    }

    public async ValueTask DisposeAsync()
    {
        await Redis.DisposeAsync();
        if (_writerServices is not null)
        {
            await _writerServices.DisposeAsync();
        }
        if (_postgres is null)
        {
            return;
        }
        if (Keep)
        {
            Console.WriteLine($"kept the database: {_postgres.ConnectionString}");
            return;
        }
        // An autovacuum worker on the fresh data can refuse DROP ... WITH (FORCE) for a moment.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await _postgres.DisposeAsync();
                return;
            }
            catch (PostgresException ex) when (attempt < 30)
            {
                Console.WriteLine($"  drop: {ex.MessageText}; retrying");
                await Task.Delay(1000);
            }
        }
    }

    /// <summary>XADDs outcome events (JSON) to the outcome stream as the gateways do, pipelined 5,000 at a time.</summary>
    public static async Task<int> AddOutcomesAsync(IDatabase db, IEnumerable<string> json)
    {
        var added = 0;
        foreach (var chunk in json.Chunk(5000))
        {
            var batch = db.CreateBatch();
            var adds = Array.ConvertAll(chunk, j => batch.StreamAddAsync(RedisKeys.OutcomesStream, RedisKeys.OutcomeField, j));
            batch.Execute();
            await Task.WhenAll(adds);
            added += chunk.Length;
        }
        return added;
    }
}
