using Switchboard.Metrics.Rollups;

namespace Switchboard.Metrics.Tests.Rollups;

public sealed class WindowPlanTests
{
    private static readonly DateTimeOffset Day = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_long_unaligned_window_splits_into_raw_edges_minutes_and_hours()
    {
        var plan = WindowPlan.Of(Day.AddHours(1).AddMinutes(12).AddSeconds(30), Day.AddHours(5).AddMinutes(3).AddSeconds(10));

        Assert.Equal((Day.AddHours(1).AddMinutes(12).AddSeconds(30), Day.AddHours(1).AddMinutes(13)), plan.RawBefore);
        Assert.Equal((Day.AddHours(1).AddMinutes(13), Day.AddHours(2)), plan.MinutesBefore);
        Assert.Equal((Day.AddHours(2), Day.AddHours(5)), plan.Hours);
        Assert.Equal((Day.AddHours(5), Day.AddHours(5).AddMinutes(3)), plan.MinutesAfter);
        Assert.Equal((Day.AddHours(5).AddMinutes(3), Day.AddHours(5).AddMinutes(3).AddSeconds(10)), plan.RawAfter);
    }

    [Fact]
    public void An_aligned_window_needs_no_raw_rows()
    {
        var plan = WindowPlan.Of(Day, Day.AddDays(1));
        Assert.Equal((Day, Day.AddDays(1)), plan.Hours);
        Assert.Equal(plan.RawBefore.Start, plan.RawBefore.End);
        Assert.Equal(plan.RawAfter.Start, plan.RawAfter.End);
        Assert.Equal(plan.MinutesBefore.Start, plan.MinutesBefore.End);
    }

    [Fact]
    public void A_window_inside_one_minute_is_all_raw()
    {
        var plan = WindowPlan.Of(Day.AddSeconds(10), Day.AddSeconds(50));
        Assert.Equal((Day.AddSeconds(10), Day.AddSeconds(50)), plan.RawBefore);
        Assert.Equal(plan.Hours.Start, plan.Hours.End);
    }

    [Fact]
    public void A_window_inside_one_hour_uses_minutes_and_raw_edges()
    {
        var plan = WindowPlan.Of(Day.AddMinutes(5).AddSeconds(1), Day.AddMinutes(40));
        Assert.Equal((Day.AddMinutes(6), Day.AddMinutes(40)), plan.MinutesBefore);
        Assert.Equal(plan.Hours.Start, plan.Hours.End);
        Assert.Equal(plan.RawAfter.Start, plan.RawAfter.End);
    }
}
