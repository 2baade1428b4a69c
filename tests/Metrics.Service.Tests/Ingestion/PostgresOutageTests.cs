using Npgsql;
using Switchboard.Metrics.Tests.Infrastructure;
using Switchboard.Testing;

namespace Switchboard.Metrics.Tests.Ingestion;

public sealed class OutageFixture : MetricsServiceFixture
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Metrics:BatchSize"] = "200" };
}

public sealed class PostgresOutageTests(OutageFixture fixture) : IClassFixture<OutageFixture>
{
    [Fact]
    public async Task PostgreSQL_going_away_mid_ingestion_loses_no_event()
    {
        var now = DateTimeOffset.UtcNow;
        var first = Outcomes.Mix(1500, now.AddMinutes(-30), now, seed: 21, prefix: "before");
        var second = Outcomes.Mix(1500, now.AddMinutes(-30), now, seed: 22, prefix: "during");
        var published = first.Count + second.Count;

        await fixture.PublishAsync(first);
        await Wait.UntilAsync(async () => await fixture.RowCountAsync() > 0, "ingestion to start");
        await SetConnectionsAllowedAsync(false);
        try
        {
            await fixture.PublishAsync(second);
            // While the database is away the events wait in the stream, read-but-unacknowledged or unread.
            await Wait.UntilAsync(async () => (await fixture.GroupStateAsync()) is var s && s.Pending + s.Lag > 0, "events held in the stream");
            await Task.Delay(1000);
            var (pending, lag) = await fixture.GroupStateAsync();
            Assert.True(pending + lag > 0, "events must stay in the stream while PostgreSQL is away");
        }
        finally
        {
            await SetConnectionsAllowedAsync(true);
        }

        await fixture.WaitForRowsAsync(published);
        await Wait.UntilAsync(async () => (await fixture.GroupStateAsync()) is { Pending: 0, Lag: 0 }, "every entry acknowledged");
        Assert.Equal(published, await fixture.RowCountAsync());
        Assert.Equal(published, await fixture.ScalarAsync("SELECT sum(attempts) FROM rollup_minute"));
        Assert.Equal(published, await fixture.ScalarAsync("SELECT sum(attempts) FROM rollup_hour"));
    }

    // Stops the database for this service only (other work shares the cluster): no new connections, existing ones killed.
    private async Task SetConnectionsAllowedAsync(bool allowed)
    {
        var database = new NpgsqlConnectionStringBuilder(fixture.Postgres.ConnectionString).Database!;
        var admin = new NpgsqlConnectionStringBuilder(PostgresDatabase.LocalServer) { Pooling = false };
        if (Containers.DockerAvailable)
        {
            admin = new NpgsqlConnectionStringBuilder(fixture.Postgres.ConnectionString) { Database = "postgres", Pooling = false };
        }
        await using var connection = new NpgsqlConnection(admin.ConnectionString);
        await connection.OpenAsync();
        await using var alter = new NpgsqlCommand($"ALTER DATABASE \"{database}\" ALLOW_CONNECTIONS {(allowed ? "true" : "false")}", connection);
        await alter.ExecuteNonQueryAsync();
        if (!allowed)
        {
            await using var kill = new NpgsqlCommand(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = @db AND pid <> pg_backend_pid()", connection);
            kill.Parameters.AddWithValue("db", database);
            await kill.ExecuteScalarAsync();
        }
    }
}
