using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Switchboard.Metrics.Data;
using Switchboard.Metrics.Extensions;
using Switchboard.Metrics.Ingestion;

namespace Switchboard.Metrics.Slo;

/// <summary>A fast-burn alert of one route.</summary>
internal sealed record SloAlert(string Route, DateTimeOffset RaisedAt, double BurnRate1h, double? BurnRate6h, double? ErrorBudgetRemaining,
    DateTimeOffset? ClearedAt);

/// <summary>
/// Evaluates the SLOs every <see cref="MetricsOptions.SloInterval"/> and raises an alert when a route burns its error
/// budget fast: a warning log, the <c>switchboard.metrics.slo.fast_burn_alerts</c> counter, and the alert listed by
/// <c>GET /api/slo/alerts</c> until the burn stops.
/// </summary>
internal sealed partial class SloMonitor(
    IServiceScopeFactory scopes,
    DatabaseMigrator migrator,
    IngestionMetrics metrics,
    IOptions<MetricsOptions> options,
    TimeProvider time,
    ILogger<SloMonitor> logger) : BackgroundService
{
    private readonly ConcurrentDictionary<string, SloAlert> _alerts = new(StringComparer.Ordinal);

    public IReadOnlyList<SloAlert> Alerts => [.. _alerts.Values.OrderByDescending(a => a.RaisedAt)];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await migrator.Ready.WaitAsync(stoppingToken);
        using var timer = new PeriodicTimer(options.Value.SloInterval, time);
        do
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                Apply(await scope.ServiceProvider.GetRequiredService<SloReport>().GetAsync(stoppingToken));
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogEvaluationFailed(logger, ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    internal void Apply(IReadOnlyList<SloStatus> statuses)
    {
        var now = time.GetUtcNow();
        foreach (var status in statuses)
        {
            var active = _alerts.TryGetValue(status.Route, out var alert) && alert.ClearedAt is null;
            if (status.FastBurn && !active)
            {
                _alerts[status.Route] = new SloAlert(status.Route, now, status.BurnRate1h ?? 0, status.BurnRate6h, status.ErrorBudgetRemaining, null);
                metrics.FastBurn.Add(1, new KeyValuePair<string, object?>("route", status.Route));
                LogFastBurn(logger, status.Route, status.BurnRate1h ?? 0, status.ErrorBudgetRemaining ?? 1);
            }
            else if (!status.FastBurn && active)
            {
                _alerts[status.Route] = alert! with { ClearedAt = now };
                LogBurnStopped(logger, status.Route);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "SLO fast burn on route {Route}: 1 h burn rate {BurnRate}, error budget remaining {BudgetRemaining}")]
    private static partial void LogFastBurn(ILogger logger, string route, double burnRate, double budgetRemaining);

    [LoggerMessage(Level = LogLevel.Information, Message = "SLO fast burn on route {Route} stopped")]
    private static partial void LogBurnStopped(ILogger logger, string route);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Evaluating SLOs failed")]
    private static partial void LogEvaluationFailed(ILogger logger, Exception exception);
}
