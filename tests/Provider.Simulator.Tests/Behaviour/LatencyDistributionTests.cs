using Switchboard.Simulator.Behaviour;
using Switchboard.Simulator.Profiles;

namespace Switchboard.Simulator.Tests.Behaviour;

// The time to first token is sampled from the distribution directly (the same draw the server makes per request), so
// these assertions never depend on a wall clock.
public sealed class LatencyDistributionTests
{
    private const int Samples = 20_000;

    public static TheoryData<string> Shipped => [.. ShippedProfiles.All.Keys];

    [Theory]
    [MemberData(nameof(Shipped))]
    public void Measured_ttft_p50_and_p99_are_within_15_percent_of_the_shipped_profile(string name)
    {
        var profile = ShippedProfiles.All[name];

        var ttft = Enumerable.Range(1, Samples).Select(i => ResponsePlan.Draw(profile, i).TimeToFirstToken.TotalMilliseconds).Order().ToArray();

        AssertWithin(profile.TtftMs.P50, Percentile(ttft, 0.50));
        AssertWithin(profile.TtftMs.P99, Percentile(ttft, 0.99));
    }

    [Theory]
    [InlineData(100, 100)]
    [InlineData(300, 1200)]
    [InlineData(900, 10_000)]
    [InlineData(5, 50)]
    public void Any_p50_p99_pair_is_reproduced(double p50, double p99)
    {
        var profile = new ProviderProfile { Type = ProviderTypes.OpenAi, TtftMs = new(p50, p99), Seed = 7 };

        var ttft = Enumerable.Range(1, Samples).Select(i => ResponsePlan.Draw(profile, i).TimeToFirstToken.TotalMilliseconds).Order().ToArray();

        AssertWithin(p50, Percentile(ttft, 0.50));
        AssertWithin(p99, Percentile(ttft, 0.99));
    }

    [Fact]
    public void Deepseek_has_the_heavy_tail_of_a_provider_at_peak()
    {
        var deepseek = ShippedProfiles.All["deepseek"];

        Assert.True(deepseek.TtftMs.P99 >= 9_000);
        Assert.True(deepseek.TtftMs.P99 / deepseek.TtftMs.P50 > 2 * ShippedProfiles.All["openai"].TtftMs.P99 / ShippedProfiles.All["openai"].TtftMs.P50);
    }

    [Fact]
    public void Zero_latency_means_zero()
    {
        var profile = new ProviderProfile { Type = ProviderTypes.OpenAi };

        Assert.All(Enumerable.Range(1, 100), i => Assert.Equal(TimeSpan.Zero, ResponsePlan.Draw(profile, i).TimeToFirstToken));
    }

    [Fact]
    public void The_same_seed_and_sequence_give_the_same_plan_and_another_seed_does_not()
    {
        var profile = ShippedProfiles.All["openai"] with { FailureRate = 0.3 };

        var first = Enumerable.Range(1, 50).Select(i => ResponsePlan.Draw(profile, i)).ToArray();
        var again = Enumerable.Range(1, 50).Select(i => ResponsePlan.Draw(profile, i)).ToArray();
        var reseeded = Enumerable.Range(1, 50).Select(i => ResponsePlan.Draw(profile with { Seed = 43 }, i)).ToArray();

        Assert.Equal(first, again);
        Assert.NotEqual(first, reseeded);
    }

    [Fact]
    public void Failure_rate_is_honoured_over_many_requests()
    {
        var profile = new ProviderProfile { Type = ProviderTypes.OpenAi, FailureRate = 0.2 };

        var failures = Enumerable.Range(1, Samples).Count(i => ResponsePlan.Draw(profile, i).Fault == Fault.Failure);

        Assert.InRange(failures / (double)Samples, 0.19, 0.21);
    }

    private static double Percentile(double[] sorted, double q) => sorted[(int)Math.Ceiling(q * sorted.Length) - 1];

    private static void AssertWithin(double expected, double actual) =>
        Assert.True(Math.Abs(actual - expected) <= 0.15 * expected, $"expected {expected} ms within 15%, measured {actual:F1} ms");
}
