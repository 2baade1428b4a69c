using Switchboard.Testing;

namespace Switchboard.Router.Tests.Infrastructure;

/// <summary>Redis + PostgreSQL shared by the tests of one class.</summary>
public sealed class Servers : IAsyncLifetime
{
    public RedisServer Redis { get; } = new();
    public PostgresDatabase Postgres { get; } = new();

    public async Task InitializeAsync()
    {
        await Task.WhenAll(Redis.InitializeAsync(), Postgres.InitializeAsync());
    }

    public async Task DisposeAsync()
    {
        await Redis.DisposeAsync();
        await Postgres.DisposeAsync();
    }
}
