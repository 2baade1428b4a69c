using System.Collections.Concurrent;
using System.Globalization;
using StackExchange.Redis;
using Switchboard.Contracts.Redis;
using Switchboard.Gateway.Limits;

namespace Switchboard.Gateway.Budgets;

/// <summary>Money held for one request until it settles.</summary>
internal sealed class BudgetReservation(string keyName, long amountNano, string member, bool shared)
{
    private int _done;

    public string KeyName { get; } = keyName;
    public long AmountNano { get; } = amountNano;
    public string Member { get; } = member;

    /// <summary>True when the reservation is held in Redis; false when held in this process only.</summary>
    public bool Shared { get; } = shared;

    /// <summary>True the first time only: a reservation settles or releases once.</summary>
    public bool TryFinish() => Interlocked.Exchange(ref _done, 1) == 0;
}

/// <summary>
/// USD budgets of gateway keys, enforced by reservation: before a request the estimated maximum cost is
/// reserved (refused when spent + reserved + estimate would pass the budget), after it the actual cost is
/// settled and the reservation released, in one atomic Redis script each, so any number of gateway replicas
/// sharing one Redis can never overspend together. Amounts are integer nano-USD (exact in Lua's doubles up to
/// $9M). Every reservation carries an expiry (request deadline + a margin): a replica that dies holding one
/// frees it when the next reservation for that key purges expired entries.
///
/// When Redis is down (not connected, or a command fails) the ledger falls back to this process. A slow Redis
/// is waited for (the client's own timeout), not bypassed: a reservation that timed out on our side may still
/// have been made in Redis, and deciding locally as well would let replicas overspend together. Locally it reserves against the last spend it saw in Redis plus what it settled
/// locally since. Local settlements are kept as unsynced spend and added to Redis's <c>spentNanoUsd</c> when
/// it is back (<see cref="ReconcileAsync"/>, every second), so no spend is lost (and a Redis that came back
/// empty gets at least the spend this replica last saw there first); during an outage each replica
/// enforces the budget on its own view, so replicas together can overspend by what they settle before Redis
/// returns (documented trade-off: serving beats refusing everyone while Redis is down).
/// </summary>
internal sealed partial class BudgetLedger(SharedRedis redis, TimeProvider timeProvider, ILogger<BudgetLedger> logger)
{
    /// <summary>Field of <see cref="RedisKeys.KeyBudget"/>: settled spend in nano-USD.</summary>
    public const string SpentField = RedisKeys.BudgetSpentField;
    /// <summary>Field of <see cref="RedisKeys.KeyBudget"/>: reserved (in flight) nano-USD.</summary>
    public const string ReservedField = RedisKeys.BudgetReservedField;

    private const string ReserveScript = """
        local now = tonumber(ARGV[1])
        local budget = tonumber(ARGV[2])
        local amount = tonumber(ARGV[3])
        local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)
        if #expired > 0 then
          local freed = 0
          for _, m in ipairs(expired) do
            freed = freed + tonumber(string.match(m, ':(%d+)$'))
          end
          redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
          redis.call('HINCRBY', KEYS[1], 'reservedNanoUsd', -freed)
        end
        local spent = tonumber(redis.call('HGET', KEYS[1], 'spentNanoUsd') or '0')
        local reserved = tonumber(redis.call('HGET', KEYS[1], 'reservedNanoUsd') or '0')
        if spent + reserved + amount > budget then
          return {0, spent, reserved}
        end
        redis.call('ZADD', KEYS[2], tonumber(ARGV[5]), ARGV[4])
        redis.call('HINCRBY', KEYS[1], 'reservedNanoUsd', amount)
        return {1, spent, reserved + amount}
        """;

    private const string SettleScript = """
        if ARGV[1] ~= '' and redis.call('ZREM', KEYS[2], ARGV[1]) == 1 then
          redis.call('HINCRBY', KEYS[1], 'reservedNanoUsd', -tonumber(ARGV[2]))
        end
        return redis.call('HINCRBY', KEYS[1], 'spentNanoUsd', tonumber(ARGV[3]))
        """;

    // Reconcile: a Redis that restarted without persistence lost the ledger; put back at least the spend this
    // replica last saw there (ARGV[1]) before adding what it settled while Redis was away (ARGV[2]).
    private const string ReconcileScript = """
        local spent = tonumber(redis.call('HGET', KEYS[1], 'spentNanoUsd') or '0')
        if spent < tonumber(ARGV[1]) then
          redis.call('HSET', KEYS[1], 'spentNanoUsd', ARGV[1])
        end
        return redis.call('HINCRBY', KEYS[1], 'spentNanoUsd', tonumber(ARGV[2]))
        """;

    private readonly ConcurrentDictionary<string, Local> _local = new(StringComparer.Ordinal);
    private int _degraded;

    /// <summary>Reserves <paramref name="amountUsd"/> for a request; null (with what is left) when over budget.</summary>
    public async ValueTask<(BudgetReservation? Reservation, decimal SpentUsd)> ReserveAsync(string keyName, decimal budgetUsd, decimal amountUsd, TimeSpan holdFor)
    {
        var amount = Math.Max(1, RedisKeys.ToNanoUsd(amountUsd));
        var budget = RedisKeys.ToNanoUsd(budgetUsd);
        var member = $"{Guid.NewGuid():N}:{amount.ToString(CultureInfo.InvariantCulture)}";
        var local = _local.GetOrAdd(keyName, static _ => new Local());
        if (await redis.GetDatabaseAsync().ConfigureAwait(false) is { } db)
        {
            var now = timeProvider.GetUtcNow().ToUnixTimeMilliseconds();
            try
            {
                var result = (RedisResult[])(await db.ScriptEvaluateAsync(ReserveScript,
                    [RedisKeys.KeyBudget(keyName), RedisKeys.KeyBudgetReservations(keyName)],
                    [now, budget, amount, member, now + (long)holdFor.TotalMilliseconds]).ConfigureAwait(false))!;
                var spent = (long)result[1];
                Interlocked.Exchange(ref _degraded, 0);
                lock (local)
                {
                    local.SpentSeen = spent;
                }
                return ((long)result[0] == 1 ? new BudgetReservation(keyName, amount, member, shared: true) : null, RedisKeys.FromNanoUsd(spent + local.Unsynced));
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
            {
                LogFallback(keyName, ex.Message);
            }
        }
        lock (local)
        {
            var spent = local.SpentSeen + local.Unsynced;
            if (spent + local.Reserved + amount > budget)
            {
                return (null, RedisKeys.FromNanoUsd(spent));
            }
            local.Reserved += amount;
            return (new BudgetReservation(keyName, amount, member, shared: false), RedisKeys.FromNanoUsd(spent));
        }
    }

    /// <summary>Records the actual cost and frees the reservation (once).</summary>
    public async ValueTask SettleAsync(BudgetReservation reservation, decimal actualUsd)
    {
        ArgumentNullException.ThrowIfNull(reservation);
        if (!reservation.TryFinish())
        {
            return;
        }
        var actual = Math.Max(0, RedisKeys.ToNanoUsd(actualUsd));
        var local = _local.GetOrAdd(reservation.KeyName, static _ => new Local());
        if (reservation.Shared && await redis.GetDatabaseAsync().ConfigureAwait(false) is { } db)
        {
            try
            {
                var spent = (long)(await db.ScriptEvaluateAsync(SettleScript,
                    [RedisKeys.KeyBudget(reservation.KeyName), RedisKeys.KeyBudgetReservations(reservation.KeyName)],
                    [reservation.Member, reservation.AmountNano, actual]).ConfigureAwait(false));
                lock (local)
                {
                    local.SpentSeen = spent;
                }
                return;
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
            {
                // The Redis reservation expires by itself; the spend is kept here and reconciled later.
                LogFallback(reservation.KeyName, ex.Message);
            }
        }
        lock (local)
        {
            if (!reservation.Shared)
            {
                local.Reserved -= reservation.AmountNano;
            }
            local.Unsynced += actual;
        }
    }

    /// <summary>Frees a reservation of a request that never reached a provider.</summary>
    public ValueTask ReleaseAsync(BudgetReservation reservation) => SettleAsync(reservation, 0m);

    /// <summary>Spend of a key as this process knows it (Redis's last answer plus unsynced local spend).</summary>
    public decimal SpentUsd(string keyName) =>
        _local.TryGetValue(keyName, out var l) ? RedisKeys.FromNanoUsd(l.SpentSeen + l.Unsynced) : 0m;

    /// <summary>Adds spend settled locally while Redis was down to Redis; true when nothing is left to sync.</summary>
    public async Task<bool> ReconcileAsync()
    {
        if (redis.Database is not { } db)
        {
            return _local.Values.All(l => l.Unsynced == 0);
        }
        var clean = true;
        foreach (var (name, local) in _local)
        {
            long delta, seen;
            lock (local)
            {
                delta = local.Unsynced;
                seen = local.SpentSeen;
                local.Unsynced = 0;
            }
            if (delta == 0)
            {
                continue;
            }
            try
            {
                var spent = (long)(await db.ScriptEvaluateAsync(ReconcileScript, [RedisKeys.KeyBudget(name)], [seen, delta]).ConfigureAwait(false));
                lock (local)
                {
                    local.SpentSeen = spent;
                }
                LogReconciled(name, RedisKeys.FromNanoUsd(delta));
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
            {
                lock (local)
                {
                    local.Unsynced += delta;
                }
                clean = false;
            }
        }
        return clean;
    }

    private sealed class Local
    {
        public long SpentSeen;
        public long Unsynced;
        public long Reserved;
    }

    private void LogFallback(string key, string reason)
    {
        // Once per outage, not once per request.
        if (Interlocked.Exchange(ref _degraded, 1) == 0)
        {
            LogFallbackCore(key, reason);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Budget of key {Key}: Redis unavailable ({Reason}); enforcing on this replica's ledger until it returns")]
    private partial void LogFallbackCore(string key, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Budget of key {Key}: {Usd} USD spent while Redis was down added to the shared ledger")]
    private partial void LogReconciled(string key, decimal usd);
}

/// <summary>Every second: pushes spend settled while Redis was down into the shared ledger.</summary>
internal sealed class BudgetReconciler(BudgetLedger ledger, TimeProvider timeProvider) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), timeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                await ledger.ReconcileAsync().ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
