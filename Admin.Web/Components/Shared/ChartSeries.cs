using System.Globalization;

namespace Switchboard.Admin.Components.Shared;

/// <summary>One named series of a chart: x values (times or categories) and y values (null for a gap).</summary>
public sealed record ChartSeries(string Name, IReadOnlyList<object> X, IReadOnlyList<object?> Y)
{
    /// <summary>A series over time; plotly.js has no time zones, so times go as UTC wall-clock text.</summary>
    public static ChartSeries OverTime<T>(string name, IEnumerable<T> points, Func<T, DateTimeOffset> at, Func<T, double?> value)
    {
        var list = points.OrderBy(at).ToList();
        return new(name,
            list.Select(p => (object)at(p).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)).ToList(),
            list.Select(p => (object?)value(p)).ToList());
    }

    /// <summary>True when at least one y value is present.</summary>
    public bool HasValues => Y.Any(y => y is not null);
}

/// <summary>How a chart draws its series.</summary>
public enum ChartKind
{
    Lines,
    StackedBars,
    GroupedBars,
}
