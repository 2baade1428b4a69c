using System.Net.Http.Json;
using Npgsql;
using Switchboard.Router.Data;
using Switchboard.Router.Routing;

namespace Switchboard.Router.Alerts;

/// <summary>An alert as stored in controldb and listed by <c>GET /api/alerts</c>.</summary>
internal sealed record Alert(
    long Id, string Kind, string Severity, string? Provider, string? Model, string Message,
    DateTimeOffset CreatedAt, DateTimeOffset? AcknowledgedAt, string? AcknowledgedBy);

/// <summary>Alert kinds.</summary>
internal static class AlertKinds
{
    public const string Health = "health";
    public const string Quality = "quality";
    public const string Drift = "drift";
    public const string Credential = "credential";
}

/// <summary>
/// Alerts in controldb, raised by the leader (health down, credential refused, quality under threshold, model
/// drift); each is also posted to <c>monitoring.webhookUrl</c> when one is set (best effort, never blocking).
/// </summary>
internal sealed partial class AlertStore(
    ControlDb db, RoutingState routing, IHttpClientFactory httpFactory, TimeProvider time, ILogger<AlertStore> logger)
{
    public const string WebhookClient = "alerts-webhook";

    public async Task<Alert> RaiseAsync(string kind, string severity, string? provider, string? model, string message, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        long id;
        await using (var conn = await db.OpenAsync(ct))
        {
            await using var cmd = new NpgsqlCommand("""
                INSERT INTO alerts (kind, severity, provider, model, message, created_at)
                VALUES (@kind, @severity, @provider, @model, @message, @at) RETURNING id
                """, conn);
            cmd.Parameters.AddWithValue("kind", kind);
            cmd.Parameters.AddWithValue("severity", severity);
            cmd.Parameters.AddWithValue("provider", (object?)provider ?? DBNull.Value);
            cmd.Parameters.AddWithValue("model", (object?)model ?? DBNull.Value);
            cmd.Parameters.AddWithValue("message", message);
            cmd.Parameters.AddWithValue("at", now);
            id = (long)(await cmd.ExecuteScalarAsync(ct))!;
        }
        var alert = new Alert(id, kind, severity, provider, model, message, now, null, null);
        LogAlert(logger, kind, severity, provider ?? "-", model ?? "-", message);
        if (routing.Current.Document.Monitoring?.WebhookUrl is { Length: > 0 } url)
        {
            _ = PostAsync(url, alert);
        }
        return alert;
    }

    public async Task<IReadOnlyList<Alert>> ListAsync(bool includeAcknowledged, int limit, CancellationToken ct)
    {
        await using var conn = await db.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand($"""
            SELECT id, kind, severity, provider, model, message, created_at, acknowledged_at, acknowledged_by
            FROM alerts {(includeAcknowledged ? "" : "WHERE acknowledged_at IS NULL")}
            ORDER BY created_at DESC, id DESC LIMIT @limit
            """, conn);
        cmd.Parameters.AddWithValue("limit", limit);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var list = new List<Alert>();
        while (await r.ReadAsync(ct))
        {
            list.Add(new(r.GetInt64(0), r.GetString(1), r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3),
                r.IsDBNull(4) ? null : r.GetString(4), r.GetString(5), r.GetFieldValue<DateTimeOffset>(6),
                r.IsDBNull(7) ? null : r.GetFieldValue<DateTimeOffset>(7), r.IsDBNull(8) ? null : r.GetString(8)));
        }
        return list;
    }

    public async Task<bool> AcknowledgeAsync(long id, string by, CancellationToken ct)
    {
        await using var conn = await db.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand(
            "UPDATE alerts SET acknowledged_at = COALESCE(acknowledged_at, @at), acknowledged_by = COALESCE(acknowledged_by, @by) WHERE id = @id", conn);
        cmd.Parameters.AddWithValue("id", id);
        cmd.Parameters.AddWithValue("at", time.GetUtcNow());
        cmd.Parameters.AddWithValue("by", by);
        return await cmd.ExecuteNonQueryAsync(ct) > 0;
    }

    private async Task PostAsync(string url, Alert alert)
    {
        try
        {
            using var http = httpFactory.CreateClient(WebhookClient);
            using var response = await http.PostAsJsonAsync(new Uri(url), alert);
            if (!response.IsSuccessStatusCode)
            {
                LogWebhookFailed(logger, $"HTTP {(int)response.StatusCode}");
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or UriFormatException)
        {
            LogWebhookFailed(logger, ex.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Alert {Kind}/{Severity} for {Provider}/{Model}: {Message}")]
    private static partial void LogAlert(ILogger logger, string kind, string severity, string provider, string model, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Alert webhook failed: {Error}")]
    private static partial void LogWebhookFailed(ILogger logger, string error);
}
