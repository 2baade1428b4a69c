using Switchboard.Metrics.Rollups;

namespace Switchboard.Metrics.Tests.Rollups;

public sealed class LatencyHistogramTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Percentiles_are_within_1_percent_of_the_exact_nearest_rank(int seed)
    {
        var random = new Random(seed);
        var values = Enumerable.Range(0, 20_000).Select(_ => Math.Exp(random.NextDouble() * 12) * 0.5).ToArray(); // 0.5 ms .. 80 s
        var histogram = new LatencyHistogram();
        foreach (var v in values)
        {
            histogram.Record(v);
        }
        Array.Sort(values);
        foreach (var q in new[] { 0.01, 0.5, 0.9, 0.95, 0.99, 0.999, 1.0 })
        {
            var exact = values[(int)Math.Ceiling(q * values.Length) - 1];
            var got = histogram.Percentile(q)!.Value;
            Assert.True(Math.Abs(got - exact) <= exact * 0.01, $"q={q}: exact {exact}, got {got}");
        }
    }

    [Theory]
    [InlineData(4)]
    [InlineData(5)]
    public void A_dense_histogram_answers_as_the_sparse_one_it_merged(int seed)
    {
        var random = new Random(seed);
        var sparse = new LatencyHistogram();
        for (var i = 0; i < 5000; i++)
        {
            sparse.Record(Math.Exp(random.NextDouble() * (6 + seed)) * 0.2);
        }
        var dense = new LatencyHistogram(dense: true);
        dense.AddPacked(sparse.Pack());
        foreach (var q in new[] { 0.001, 0.5, 0.95, 0.99, 1.0 })
        {
            Assert.Equal(sparse.Percentile(q), dense.Percentile(q));
        }
    }

    [Fact]
    public void Every_bucket_midpoint_is_within_1_percent_of_both_its_edges()
    {
        for (var bucket = 1; bucket < LatencyHistogram.BucketCount - 1; bucket++)
        {
            var low = LatencyHistogram.MinMs * Math.Pow(LatencyHistogram.Ratio, bucket - 1);
            var high = low * LatencyHistogram.Ratio;
            var mid = LatencyHistogram.ValueOf(bucket);
            Assert.True(mid / low - 1 <= 0.01 && 1 - mid / high <= 0.01);
            Assert.Equal(bucket, LatencyHistogram.BucketOf(low * 1.0001));
        }
    }

    [Fact]
    public void Packed_histograms_merge_to_the_histogram_of_all_values()
    {
        var random = new Random(5);
        var a = new LatencyHistogram();
        var b = new LatencyHistogram();
        var all = new LatencyHistogram();
        for (var i = 0; i < 5000; i++)
        {
            var v = 50 + (random.NextDouble() * 5000);
            (i % 3 == 0 ? a : b).Record(v);
            all.Record(v);
        }
        var merged = new LatencyHistogram();
        merged.AddPacked(a.Pack());
        merged.AddPacked(b.Pack());
        merged.AddPacked(null);

        Assert.Equal(all.Pack(), merged.Pack());
        Assert.Equal(5000, merged.Total);
    }

    [Fact]
    public void Empty_histogram_has_no_percentile_and_packs_to_null()
    {
        var empty = new LatencyHistogram();
        Assert.Null(empty.Percentile(0.5));
        Assert.Null(empty.Pack());
    }

    [Fact]
    public void Out_of_range_values_fall_in_the_edge_buckets()
    {
        Assert.Equal(0, LatencyHistogram.BucketOf(0));
        Assert.Equal(0, LatencyHistogram.BucketOf(-3));
        Assert.Equal(0, LatencyHistogram.BucketOf(double.NaN));
        Assert.Equal(LatencyHistogram.BucketCount - 1, LatencyHistogram.BucketOf(1e12));
    }
}
