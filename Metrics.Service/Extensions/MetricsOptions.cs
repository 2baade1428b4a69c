using Microsoft.Extensions.Options;

namespace Switchboard.Metrics.Extensions;

/// <summary>Metrics.Service settings (section <c>Metrics</c>), validated at start-up.</summary>
internal sealed record MetricsOptions
{
    public const string Section = "Metrics";

    /// <summary>Stream entries read and written per transaction.</summary>
    public int BatchSize { get; set; } = 5000;
    /// <summary>Consumer name in the group; default the machine name, so a restarted service finds its own pending entries.</summary>
    public string? ConsumerName { get; set; }
    /// <summary>Wait between reads when the stream is drained.</summary>
    public TimeSpan IdlePoll { get; set; } = TimeSpan.FromMilliseconds(100);
    /// <summary>Entries pending this long with another consumer are claimed (that consumer is presumed dead).</summary>
    public TimeSpan ClaimIdle { get; set; } = TimeSpan.FromMinutes(1);
    /// <summary>Longest back-off while PostgreSQL or Redis is away.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(5);
    /// <summary>Raw request log rows older than this are deleted.</summary>
    public TimeSpan RawRetention { get; set; } = TimeSpan.FromDays(30);
    /// <summary>Minute and hour rollups older than this are deleted (13 months).</summary>
    public TimeSpan RollupRetention { get; set; } = TimeSpan.FromDays(396);
    /// <summary>How often retention runs.</summary>
    public TimeSpan RetentionInterval { get; set; } = TimeSpan.FromHours(1);
    /// <summary>The SLO compliance window.</summary>
    public TimeSpan SloWindow { get; set; } = TimeSpan.FromDays(30);
    /// <summary>How often SLO burn is evaluated for alerts.</summary>
    public TimeSpan SloInterval { get; set; } = TimeSpan.FromMinutes(1);
    /// <summary>1 h burn rate (with the 5 min burn rate confirming) at which a fast-burn alert fires (Google SRE: 14.4 = 2% of a 30-day budget in an hour).</summary>
    public double FastBurnRate { get; set; } = 14.4;

    public static IEnumerable<string> Check(MetricsOptions o)
    {
        if (o.BatchSize is < 1 or > 100_000) yield return "Metrics:BatchSize must be 1..100000";
        if (o.IdlePoll <= TimeSpan.Zero) yield return "Metrics:IdlePoll must be positive";
        if (o.ClaimIdle <= TimeSpan.Zero) yield return "Metrics:ClaimIdle must be positive";
        if (o.MaxRetryDelay <= TimeSpan.Zero) yield return "Metrics:MaxRetryDelay must be positive";
        if (o.RawRetention < TimeSpan.FromHours(1)) yield return "Metrics:RawRetention must be at least 1 hour";
        if (o.RollupRetention < o.RawRetention) yield return "Metrics:RollupRetention must be at least RawRetention";
        if (o.RetentionInterval <= TimeSpan.Zero) yield return "Metrics:RetentionInterval must be positive";
        if (o.SloWindow < TimeSpan.FromHours(6)) yield return "Metrics:SloWindow must be at least 6 hours";
        if (o.SloInterval <= TimeSpan.Zero) yield return "Metrics:SloInterval must be positive";
        if (o.FastBurnRate <= 0) yield return "Metrics:FastBurnRate must be positive";
    }
}

/// <summary>Fails start-up on settings that make no sense, naming each.</summary>
internal sealed class MetricsOptionsValidator : IValidateOptions<MetricsOptions>
{
    public ValidateOptionsResult Validate(string? name, MetricsOptions options)
    {
        var errors = MetricsOptions.Check(options).ToList();
        return errors.Count == 0
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(errors);
    }
}
