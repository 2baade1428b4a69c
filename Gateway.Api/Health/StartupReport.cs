using Switchboard.Gateway.Outcomes;

namespace Switchboard.Gateway.Health;

/// <summary>Says once, at start-up, how this gateway runs.</summary>
internal sealed partial class StartupReport(RedisPresence redis, ILogger<StartupReport> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!redis.Configured)
        {
            LogStandalone();
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "No Redis connection string (ConnectionStrings:redis): running alone; health and rate-limit state stay in this process, outcome events go to logs and OTLP only")]
    private partial void LogStandalone();
}
