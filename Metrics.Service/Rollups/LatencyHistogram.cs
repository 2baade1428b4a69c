namespace Switchboard.Metrics.Rollups;

/// <summary>
/// A mergeable latency histogram with log buckets of ratio 1.02 from 0.1 ms to one hour: any value is reported as
/// its bucket's geometric midpoint, within 1% of the true value. Chosen over HdrHistogram because its sparse form
/// (bucket, count) pairs packed into a bigint[] merges inside PostgreSQL in an upsert (so concurrent consumers need no
/// read-modify-write) and merges in C# at query time without decoding a compressed blob per row.
/// </summary>
internal sealed class LatencyHistogram
{
    public const double MinMs = 0.1;
    public const double Ratio = 1.02;
    /// <summary>Bucket 0 holds values up to <see cref="MinMs"/>; the last one everything over an hour.</summary>
    public const int BucketCount = 881;

    private static readonly double LogRatio = Math.Log(Ratio);
    // Sparse while small: a minute of one cell fills a handful of buckets and thousands of deltas live per batch.
    // Dense once a query merges many rows into it: array adds instead of hash lookups.
    private readonly Dictionary<int, long> _counts = [];
    private readonly long[]? _dense;

    /// <param name="dense">True for the few accumulators of a query, which merge thousands of rows each.</param>
    public LatencyHistogram(bool dense = false)
    {
        if (dense)
        {
            _dense = new long[BucketCount];
        }
    }

    public long Total { get; private set; }

    public static int BucketOf(double ms)
    {
        if (!(ms > MinMs))
        {
            return 0;
        }
        var index = (int)(Math.Log(ms / MinMs) / LogRatio) + 1;
        return Math.Min(index, BucketCount - 1);
    }

    /// <summary>Geometric midpoint of a bucket: at most 0.995% from any value in it.</summary>
    public static double ValueOf(int bucket) => bucket == 0 ? MinMs : MinMs * Math.Pow(Ratio, bucket - 0.5);

    public void Record(double ms) => Add(BucketOf(ms), 1);

    public void Add(int bucket, long count)
    {
        if (bucket is < 0 or >= BucketCount || count <= 0)
        {
            return;
        }
        if (_dense is not null)
        {
            _dense[bucket] += count;
        }
        else
        {
            _counts[bucket] = _counts.GetValueOrDefault(bucket) + count;
        }
        Total += count;
    }

    public void Merge(LatencyHistogram other)
    {
        if (other._dense is not null)
        {
            for (var i = 0; i < BucketCount; i++)
            {
                Add(i, other._dense[i]);
            }
            return;
        }
        foreach (var (bucket, count) in other._counts)
        {
            Add(bucket, count);
        }
    }

    /// <summary>Adds a packed histogram (<see cref="Pack"/>); null is empty.</summary>
    public void AddPacked(long[]? packed)
    {
        if (packed is null)
        {
            return;
        }
        foreach (var cell in packed)
        {
            Add((int)(cell >> 32), cell & 0xFFFF_FFFF);
        }
    }

    /// <summary>Nearest-rank percentile (q in 0..1): the value at rank ceil(q * n); null when empty.</summary>
    public double? Percentile(double q)
    {
        if (Total == 0)
        {
            return null;
        }
        var rank = Math.Max(1, (long)Math.Ceiling(q * Total));
        long seen = 0;
        if (_dense is not null)
        {
            for (var i = 0; i < BucketCount; i++)
            {
                seen += _dense[i];
                if (seen >= rank)
                {
                    return Math.Round(ValueOf(i), 3);
                }
            }
            return Math.Round(ValueOf(BucketCount - 1), 3);
        }
        foreach (var bucket in SortedBuckets())
        {
            seen += CountAt(bucket);
            if (seen >= rank)
            {
                return Math.Round(ValueOf(bucket), 3);
            }
        }
        return Math.Round(ValueOf(BucketCount - 1), 3);
    }

    /// <summary>The non-empty buckets as bucket &lt;&lt; 32 | count, ascending; null when empty (SQL NULL).</summary>
    public long[]? Pack()
    {
        if (Total == 0)
        {
            return null;
        }
        var buckets = SortedBuckets();
        var cells = new long[buckets.Length];
        for (var i = 0; i < buckets.Length; i++)
        {
            cells[i] = ((long)buckets[i] << 32) | CountAt(buckets[i]);
        }
        return cells;
    }

    private long CountAt(int bucket) => _dense is not null ? _dense[bucket] : _counts[bucket];

    private int[] SortedBuckets()
    {
        if (_dense is not null)
        {
            return [.. Enumerable.Range(0, BucketCount).Where(i => _dense[i] > 0)];
        }
        var buckets = _counts.Keys.ToArray();
        Array.Sort(buckets);
        return buckets;
    }
}
