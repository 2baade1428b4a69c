using Npgsql;
using Testcontainers.PostgreSql;
using Xunit;

namespace Switchboard.Testing;

/// <summary>
/// A real, empty PostgreSQL database: a Testcontainers container when Docker answers, otherwise a throwaway
/// database on the local cluster that eng/setup.sh started (role <c>switchboard</c>), dropped on dispose.
/// </summary>
public sealed class PostgresDatabase : IAsyncLifetime
{
    private PostgreSqlContainer? _container;
    private string? _database;

    /// <summary>Admin connection to the local cluster (overridable with SWITCHBOARD_TEST_POSTGRES).</summary>
    public static string LocalServer { get; } =
        Environment.GetEnvironmentVariable("SWITCHBOARD_TEST_POSTGRES")
        ?? "Host=127.0.0.1;Port=5432;Username=switchboard;Password=switchboard;Database=postgres";

    /// <summary>Connection string to the throwaway database.</summary>
    public string ConnectionString { get; private set; } = "";

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        if (Containers.DockerAvailable)
        {
            _container = new PostgreSqlBuilder("postgres:15").Build();
            await _container.StartAsync();
            ConnectionString = _container.GetConnectionString();
            return;
        }
        _database = $"test_{Guid.NewGuid():N}";
        await using (var conn = new NpgsqlConnection(LocalServer))
        {
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE \"{_database}\"", conn);
            await cmd.ExecuteNonQueryAsync();
        }
        ConnectionString = new NpgsqlConnectionStringBuilder(LocalServer) { Database = _database }.ConnectionString;
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (_container is not null)
        {
            await _container.DisposeAsync();
            return;
        }
        if (_database is null)
        {
            return;
        }
        NpgsqlConnection.ClearAllPools();
        await using var conn = new NpgsqlConnection(LocalServer);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{_database}\" WITH (FORCE)", conn);
        await cmd.ExecuteNonQueryAsync();
    }
}
