namespace Switchboard.Metrics.Rollups;

/// <summary>
/// The single dimensions of <c>rollup_dim_minute</c> and <c>rollup_dim_hour</c> (see the DimensionRollups migration):
/// each bucket has one row per value of each, and one <see cref="All"/> row (value "") for the whole traffic.
/// </summary>
internal static class Dimensions
{
    public const string All = "all";
    public const string Provider = "provider";
    public const string Model = "model";
    public const string Route = "route";
    public const string Key = "key";
    public const string Task = "task";

    public static readonly string[] Every = [All, Provider, Model, Route, Key, Task];

    /// <summary>The value a full rollup cell has in <paramref name="dimension"/>.</summary>
    public static string ValueOf(in RollupKey key, string dimension) => dimension switch
    {
        Provider => key.Provider,
        Model => key.Model,
        Route => key.Route,
        Key => key.KeyName,
        Task => key.Task,
        _ => "",
    };

    /// <summary>The dimension rows a group-by reads; null for <see cref="GroupBy.Day"/> (not a dimension of its own).</summary>
    public static string? Of(GroupBy groupBy) => groupBy switch
    {
        GroupBy.Provider => Provider,
        GroupBy.Model => Model,
        GroupBy.Route => Route,
        GroupBy.Key => Key,
        GroupBy.Task => Task,
        _ => null,
    };
}

/// <summary>Identity of a single-dimension rollup cell.</summary>
internal readonly record struct DimensionKey(DateTimeOffset Bucket, string Dimension, string Value);
