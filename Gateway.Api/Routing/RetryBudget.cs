using Microsoft.Extensions.Options;
using Switchboard.Gateway.Configuration;

namespace Switchboard.Gateway.Routing;

/// <summary>
/// Caps the extra upstream load the pipeline may add, so an outage cannot amplify itself: over a sliding window
/// (<c>RetryBudgetWindowMs</c>, 10 one-tenth buckets), extra attempts may be at most <c>RetryBudgetRatio</c>
/// (default 20%) of first attempts, plus <c>RetryBudgetMinPerWindow</c> so a quiet gateway can still hedge.
/// One budget per gateway process (all routes).
///
/// What counts as extra: a first-token hedge, and a retry of a target that already failed in the same request
/// (after backoff). What does not: failing over to a target not yet tried in this request after a fast failure
/// (an error answer, a refused connection, a timeout): it moves load to a healthy target rather than adding
/// load to a failing one, and it is what keeps client errors at zero when a primary fails (issue 5's
/// scenarios 2 and 3). Once the budget is spent, a request still fails over to untried targets, but starts no
/// hedge and no same-target retry.
/// </summary>
internal sealed class RetryBudget(TimeProvider timeProvider, IOptions<GatewayOptions> options)
{
    private const int Buckets = 10;
    private readonly long[] _firsts = new long[Buckets];
    private readonly long[] _extras = new long[Buckets];
    private readonly long[] _bucketIds = new long[Buckets];
    private readonly Lock _gate = new();

    /// <summary>Counts a request's first attempt.</summary>
    public void OnFirstAttempt()
    {
        lock (_gate)
        {
            _firsts[Bucket()]++;
        }
    }

    /// <summary>Takes one extra attempt from the budget; false when it is spent.</summary>
    public bool TryTakeExtra()
    {
        var o = options.Value;
        lock (_gate)
        {
            var current = Bucket();
            long firsts = 0, extras = 0;
            for (var i = 0; i < Buckets; i++)
            {
                firsts += _firsts[i];
                extras += _extras[i];
            }
            if (extras + 1 > (firsts * o.RetryBudgetRatio) + o.RetryBudgetMinPerWindow)
            {
                return false;
            }
            _extras[current]++;
            return true;
        }
    }

    private int Bucket()
    {
        // Called under the lock: clears buckets that fell out of the window.
        var width = Math.Max(1, options.Value.RetryBudgetWindowMs / Buckets);
        var id = timeProvider.GetUtcNow().ToUnixTimeMilliseconds() / width;
        var slot = (int)(id % Buckets);
        if (_bucketIds[slot] != id)
        {
            _bucketIds[slot] = id;
            _firsts[slot] = 0;
            _extras[slot] = 0;
        }
        // Buckets not touched for a whole window are stale too.
        for (var i = 0; i < Buckets; i++)
        {
            if (id - _bucketIds[i] >= Buckets)
            {
                _bucketIds[i] = id - Buckets;
                _firsts[i] = 0;
                _extras[i] = 0;
            }
        }
        return slot;
    }
}
