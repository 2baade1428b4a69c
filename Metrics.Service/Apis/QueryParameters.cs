using System.Globalization;
using Switchboard.Metrics.Rollups;

namespace Switchboard.Metrics.Apis;

/// <summary>Parsing of the query parameters the APIs share; errors name the parameter.</summary>
internal static class QueryParameters
{
    public static readonly TimeSpan MaxWindow = TimeSpan.FromDays(400);

    /// <summary>from/to as ISO 8601 (UTC unless an offset is given); default the last 24 hours.</summary>
    public static bool TryWindow(string? from, string? to, TimeProvider time, out DateTimeOffset start, out DateTimeOffset end, out string? error)
    {
        error = null;
        start = default;
        end = time.GetUtcNow();
        if (to is not null && !TryTime(to, out end))
        {
            error = "to must be an ISO 8601 date-time";
            return false;
        }
        start = end.AddDays(-1);
        if (from is not null && !TryTime(from, out start))
        {
            error = "from must be an ISO 8601 date-time";
            return false;
        }
        if (end <= start)
        {
            error = "to must be after from";
            return false;
        }
        if (end - start > MaxWindow)
        {
            error = $"the window may be at most {MaxWindow.TotalDays} days";
            return false;
        }
        return true;
    }

    public static bool TryGroupBy(string? value, GroupBy fallback, bool allowTaskAndDay, out GroupBy groupBy)
    {
        groupBy = fallback;
        if (string.IsNullOrEmpty(value))
        {
            return true;
        }
        if (!Enum.TryParse(value, ignoreCase: true, out groupBy) || !Enum.IsDefined(groupBy))
        {
            return false;
        }
        return allowTaskAndDay || groupBy is not (GroupBy.Task or GroupBy.Day);
    }

    /// <summary>Displayed name of a group: "" (no key, no task) is shown as "(none)".</summary>
    public static string GroupName(string group) => group.Length == 0 ? "(none)" : group;

    private static bool TryTime(string value, out DateTimeOffset time) =>
        DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out time);
}
