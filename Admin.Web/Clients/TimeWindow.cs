using System.Globalization;

namespace Switchboard.Admin.Clients;

/// <summary>A half-open query window [From, To) and the chart step that suits its length.</summary>
public readonly record struct TimeWindow(DateTimeOffset From, DateTimeOffset To)
{
    /// <summary>The windows an operator can pick, shortest first.</summary>
    public static readonly IReadOnlyList<WindowChoice> Choices =
    [
        new("15m", "15 min", TimeSpan.FromMinutes(15)),
        new("1h", "1 hour", TimeSpan.FromHours(1)),
        new("6h", "6 hours", TimeSpan.FromHours(6)),
        new("24h", "24 hours", TimeSpan.FromHours(24)),
        new("7d", "7 days", TimeSpan.FromDays(7)),
        new("30d", "30 days", TimeSpan.FromDays(30)),
    ];

    /// <summary>The window of the given length ending now.</summary>
    public static TimeWindow Last(TimeSpan length, TimeProvider time)
    {
        var now = time.GetUtcNow();
        return new(now - length, now);
    }

    /// <summary>The window of the choice named <paramref name="key"/> (15 min when unknown) ending now.</summary>
    public static TimeWindow Last(string key, TimeProvider time) => Last(Find(key).Length, time);

    /// <summary>Midnight UTC today until now: "cost today".</summary>
    public static TimeWindow Today(TimeProvider time)
    {
        var now = time.GetUtcNow();
        return new(new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero), now);
    }

    /// <summary>The choice named <paramref name="key"/>, or the shortest one.</summary>
    public static WindowChoice Find(string? key) => Choices.FirstOrDefault(c => c.Key == key) ?? Choices[0];

    /// <summary>Length of the window.</summary>
    public TimeSpan Length => To - From;

    /// <summary>
    /// The time-series step for this window: about 60 to 360 points whatever the length, so a 30-day chart
    /// stays as light as a 15-minute one. The service's steps are whole minutes or hours.
    /// </summary>
    public string Step => StepLength.TotalHours >= 1
        ? $"{StepLength.TotalHours.ToString(CultureInfo.InvariantCulture)}h"
        : $"{StepLength.TotalMinutes.ToString(CultureInfo.InvariantCulture)}m";

    /// <summary>The length of one time-series step.</summary>
    public TimeSpan StepLength => Length.TotalMinutes switch
    {
        <= 60 => TimeSpan.FromMinutes(1),
        <= 6 * 60 => TimeSpan.FromMinutes(5),
        <= 24 * 60 => TimeSpan.FromMinutes(15),
        <= 7 * 24 * 60 => TimeSpan.FromHours(1),
        _ => TimeSpan.FromHours(6),
    };

    /// <summary>from=...&amp;to=... in ISO 8601 (UTC).</summary>
    public string ToQuery() =>
        $"from={Uri.EscapeDataString(From.UtcDateTime.ToString("O", CultureInfo.InvariantCulture))}" +
        $"&to={Uri.EscapeDataString(To.UtcDateTime.ToString("O", CultureInfo.InvariantCulture))}";
}

/// <summary>One entry of the window picker.</summary>
public sealed record WindowChoice(string Key, string Label, TimeSpan Length);
