namespace Switchboard.Simulator.Behaviour;

// Log-normal time to first token fitted to two percentiles: median = e^mu, so mu = ln(p50); p99 = e^(mu + z99 sigma),
// so sigma = ln(p99 / p50) / z99. Real first-token latencies are right-skewed like this: most requests near the
// median, a long tail at peak load.
internal readonly record struct LatencyDistribution(double Mu, double Sigma, bool Zero)
{
    // The standard normal's 99th percentile.
    public const double Z99 = 2.3263478740408408;

    public static LatencyDistribution Fit(double p50Ms, double p99Ms)
    {
        if (p50Ms <= 0)
        {
            return new LatencyDistribution(0, 0, Zero: true);
        }

        var sigma = p99Ms > p50Ms ? Math.Log(p99Ms / p50Ms) / Z99 : 0;
        return new LatencyDistribution(Math.Log(p50Ms), sigma, Zero: false);
    }

    public TimeSpan Sample(ref SimRandom random) =>
        Zero ? TimeSpan.Zero : TimeSpan.FromMilliseconds(Math.Exp(Mu + Sigma * random.NextGaussian()));
}
