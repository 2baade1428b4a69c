using Microsoft.EntityFrameworkCore;
using Switchboard.Metrics.Data;

namespace Switchboard.Metrics.RequestLog;

/// <summary>One attempt as <c>GET /api/requests</c> shows it.</summary>
internal sealed record RequestLogRow(
    string RequestId,
    int Attempt,
    DateTimeOffset StartedAt,
    string Kind,
    bool Hedged,
    string? KeyName,
    string Route,
    string? Task,
    string Provider,
    string Model,
    string? ModelReported,
    bool Drift,
    bool Stream,
    string Outcome,
    bool Winner,
    int Status,
    string? Error,
    string? ErrorMessage,
    double LatencyMs,
    double? TtftMs,
    int InputTokens,
    int OutputTokens,
    int CachedInputTokens,
    int ReasoningTokens,
    decimal CostUsd,
    int ClientStatus,
    double ClientLatencyMs,
    double? ClientTtftMs,
    int Attempts);

/// <summary>Filters of the request log; <see cref="Status"/> is the attempt's upstream status, exact ("503") or a class ("5xx").</summary>
internal sealed record RequestLogFilter(
    DateTimeOffset From, DateTimeOffset To, string? Provider, string? Route, string? Key, int? Status, int? StatusClass, int Limit);

internal sealed class RequestLogQuery(MetricsDbContext db)
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;

    public async Task<IReadOnlyList<RequestLogRow>> SearchAsync(RequestLogFilter filter, CancellationToken cancellationToken)
    {
        var rows = db.RequestLog.AsNoTracking().Where(r => r.StartedAt >= filter.From && r.StartedAt < filter.To);
        if (filter.Provider is not null)
        {
            rows = rows.Where(r => r.Provider == filter.Provider);
        }
        if (filter.Route is not null)
        {
            rows = rows.Where(r => r.Route == filter.Route);
        }
        if (filter.Key is not null)
        {
            rows = rows.Where(r => r.KeyName == filter.Key);
        }
        if (filter.Status is { } status)
        {
            rows = rows.Where(r => r.Status == status);
        }
        if (filter.StatusClass is { } statusClass)
        {
            rows = rows.Where(r => r.Status >= statusClass * 100 && r.Status < (statusClass + 1) * 100);
        }
        var entries = await rows
            .OrderByDescending(r => r.StartedAt).ThenBy(r => r.RequestId).ThenByDescending(r => r.Attempt)
            .Take(filter.Limit)
            .ToListAsync(cancellationToken);
        return entries.ConvertAll(ToRow);
    }

    public async Task<IReadOnlyList<RequestLogRow>> GetRequestAsync(string requestId, CancellationToken cancellationToken)
    {
        var entries = await db.RequestLog.AsNoTracking()
            .Where(r => r.RequestId == requestId)
            .OrderBy(r => r.Attempt)
            .ToListAsync(cancellationToken);
        return entries.ConvertAll(ToRow);
    }

    private static RequestLogRow ToRow(RequestLogEntry e) => new(
        e.RequestId, e.Attempt, e.StartedAt, e.Kind, e.Hedged, e.KeyName, e.Route, e.Task, e.Provider, e.Model,
        e.ModelReported, e.Drift, e.Stream, e.Outcome, e.Winner, e.Status, e.ErrorClass, e.ErrorMessage, e.LatencyMs,
        e.TtftMs, e.InputTokens, e.OutputTokens, e.CachedInputTokens, e.ReasoningTokens, e.CostUsd, e.ClientStatus,
        e.ClientLatencyMs, e.ClientTtftMs, e.Attempts);
}
