using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Switchboard.Metrics.Data;

/// <summary>
/// Opens a connection of the EF Core context (same pool, same health check) for the work EF cannot do fast:
/// binary COPY on ingestion and streaming rollup reads on queries.
/// </summary>
internal sealed class MetricsDatabase(IServiceScopeFactory scopes)
{
    public async Task<ConnectionLease> OpenAsync(CancellationToken cancellationToken)
    {
        var scope = scopes.CreateAsyncScope();
        try
        {
            var db = scope.ServiceProvider.GetRequiredService<MetricsDbContext>();
            var connection = (NpgsqlConnection)db.Database.GetDbConnection();
            await connection.OpenAsync(cancellationToken);
            return new ConnectionLease(scope, connection);
        }
        catch
        {
            await scope.DisposeAsync();
            throw;
        }
    }
}

/// <summary>An open connection; disposing closes it and returns the context to its pool.</summary>
internal sealed class ConnectionLease(AsyncServiceScope scope, NpgsqlConnection connection) : IAsyncDisposable
{
    public NpgsqlConnection Connection => connection;

    public async ValueTask DisposeAsync()
    {
        await connection.CloseAsync();
        await scope.DisposeAsync();
    }
}
