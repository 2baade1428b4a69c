using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Switchboard.Contracts.Redis;
using Switchboard.Router.Extensions;

namespace Switchboard.Router.Leadership;

/// <summary>
/// One leader among Router.Worker replicas through a Redis lease: <c>SET NX PX</c> to take it, a Lua
/// compare-and-extend to renew it, a compare-and-delete to hand it over on shutdown. Followers retry every
/// renew interval, so a crashed leader is replaced within TTL + one interval (12 s by default). A leader that
/// cannot renew for a whole TTL steps down on its own: two leaders never both believe it for long.
/// </summary>
internal sealed partial class LeaderLease(
    IConnectionMultiplexer redis, IOptions<RouterOptions> options, TimeProvider time, ILogger<LeaderLease> logger)
{
    private const string RenewScript =
        "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end";
    private const string ReleaseScript =
        "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end";

    private readonly Lock _lock = new();
    private TaskCompletionSource _becameLeader = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationTokenSource _term = new();
    private DateTimeOffset _lastRenewed;

    public string Owner => options.Value.InstanceId;
    public bool IsLeader { get; private set; }

    /// <summary>Completes when this replica holds the lease.</summary>
    public Task WaitForLeadershipAsync(CancellationToken ct)
    {
        lock (_lock)
        {
            return _becameLeader.Task.WaitAsync(ct);
        }
    }

    /// <summary>Cancelled when the current term ends (lease lost or released).</summary>
    public CancellationToken TermToken
    {
        get
        {
            lock (_lock)
            {
                return _term.Token;
            }
        }
    }

    public async Task RunAsync(CancellationToken ct)
    {
        var o = options.Value;
        var db = redis.GetDatabase();
        while (!ct.IsCancellationRequested)
        {
            try
            {
                if (IsLeader)
                {
                    var renewed = (long)await db.ScriptEvaluateAsync(RenewScript, [RedisKeys.RouterLeaderLease],
                        [Owner, (long)o.LeaseTtl.TotalMilliseconds]) == 1;
                    if (renewed)
                    {
                        _lastRenewed = time.GetUtcNow();
                    }
                    else
                    {
                        StepDown("lease lost (expired, deleted or taken by another replica)");
                    }
                }
                else if (await db.StringSetAsync(RedisKeys.RouterLeaderLease, Owner, o.LeaseTtl, When.NotExists))
                {
                    _lastRenewed = time.GetUtcNow();
                    StepUp();
                }
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                LogLeaseError(logger, ex.Message);
                if (IsLeader && time.GetUtcNow() - _lastRenewed >= o.LeaseTtl)
                {
                    StepDown("lease could not be renewed");
                }
            }
            try
            {
                await Task.Delay(o.LeaseRenewInterval, time, ct);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <summary>Gives the lease up at once so a follower takes over without waiting for the TTL.</summary>
    public async Task ReleaseAsync()
    {
        if (!IsLeader)
        {
            return;
        }
        try
        {
            await redis.GetDatabase().ScriptEvaluateAsync(ReleaseScript, [RedisKeys.RouterLeaderLease], [Owner]);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            LogLeaseError(logger, ex.Message);
        }
        StepDown("released on shutdown");
    }

    private void StepUp()
    {
        lock (_lock)
        {
            IsLeader = true;
            _becameLeader.TrySetResult();
        }
        LogBecameLeader(logger, Owner);
    }

    private void StepDown(string reason)
    {
        lock (_lock)
        {
            if (!IsLeader)
            {
                return;
            }
            IsLeader = false;
            _term.Cancel();
            _term.Dispose();
            _term = new CancellationTokenSource();
            _becameLeader = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        LogSteppedDown(logger, Owner, reason);
    }

    /// <summary>Logs a leader duty that failed; it is restarted.</summary>
    public void ReportDutyFailed(string duty, Exception ex) => LogDutyFailed(logger, ex, duty);

    [LoggerMessage(Level = LogLevel.Error, Message = "Leader duty {Duty} failed; restarting it")]
    private static partial void LogDutyFailed(ILogger logger, Exception ex, string duty);

    [LoggerMessage(Level = LogLevel.Information, Message = "Router replica {Owner} is now the leader")]
    private static partial void LogBecameLeader(ILogger logger, string owner);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Router replica {Owner} is no longer the leader: {Reason}")]
    private static partial void LogSteppedDown(ILogger logger, string owner, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Leader lease: Redis error: {Error}")]
    private static partial void LogLeaseError(ILogger logger, string error);
}

/// <summary>Runs the lease for the host and releases it on graceful shutdown.</summary>
internal sealed class LeaderLeaseService(LeaderLease lease) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => lease.RunAsync(stoppingToken);

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await lease.ReleaseAsync();
    }
}

/// <summary>Base for work only the leader does: runs <see cref="RunAsLeaderAsync"/> once per term.</summary>
internal abstract class LeaderBackgroundService(LeaderLease lease) : BackgroundService
{
    protected LeaderLease Lease => lease;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await lease.WaitForLeadershipAsync(stoppingToken);
                using var term = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, lease.TermToken);
                if (!lease.IsLeader)
                {
                    continue; // the term ended between the wait and reading its token
                }
                await RunAsLeaderAsync(term.Token);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
                // Term ended: wait for the next one.
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception ex)
            {
                // A fault in one leader duty must not end it for the rest of the process's life (nor, by the host's
                // default, stop the process): report it and run the duty again.
                lease.ReportDutyFailed(GetType().Name, ex);
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    protected abstract Task RunAsLeaderAsync(CancellationToken ct);
}
