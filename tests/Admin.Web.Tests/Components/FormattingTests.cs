using Switchboard.Admin.Clients;
using Switchboard.Admin.Components.Pages.Costs;
using Switchboard.Admin.Components.Shared;

namespace Switchboard.Admin.Tests.Components;

public sealed class FormattingTests
{
    [Theory]
    [InlineData(null, "–")]
    [InlineData(0.4, "0 ms")]
    [InlineData(1249.6, "1250 ms")]
    [InlineData(12_345.0, "12.3 s")]
    public void Milliseconds_carry_their_unit(double? ms, string expected) => Assert.Equal(expected, Format.Ms(ms));

    [Theory]
    [InlineData(1.0, "100.0 %")]
    [InlineData(0.9995, "99.95 %")]
    [InlineData(0.9, "90.0 %")]
    [InlineData(-0.25, "-25.0 %")]
    public void Shares_become_percentages_precise_enough_for_slos(double share, string expected) => Assert.Equal(expected, Format.Percent(share));

    [Theory]
    [InlineData("0", "$0.00")]
    [InlineData("0.0021", "$0.0021")]
    [InlineData("0.0000154", "$0.000015")]
    [InlineData("1234.5", "$1,234.50")]
    public void Dollars_keep_the_fractions_of_a_cent_a_request_costs(string usd, string expected) =>
        Assert.Equal(expected, Format.Usd(decimal.Parse(usd, System.Globalization.CultureInfo.InvariantCulture)));

    [Theory]
    [InlineData("15m", "1m")]
    [InlineData("1h", "1m")]
    [InlineData("6h", "5m")]
    [InlineData("24h", "15m")]
    [InlineData("7d", "1h")]
    [InlineData("30d", "6h")]
    [InlineData("nonsense", "1m")]
    public void Each_window_has_a_step_that_keeps_charts_light(string key, string step) =>
        Assert.Equal(step, TimeWindow.Last(key, new Microsoft.Extensions.Time.Testing.FakeTimeProvider()).Step);

    [Fact]
    public void Today_starts_at_midnight_utc()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 3, 14, 17, 30, 0, TimeSpan.Zero));

        var today = TimeWindow.Today(time);

        Assert.Equal(new DateTimeOffset(2026, 3, 14, 0, 0, 0, TimeSpan.Zero), today.From);
        Assert.Equal(time.GetUtcNow(), today.To);
    }

    [Fact]
    public void Empty_filters_are_left_out_of_the_request_log_query()
    {
        var window = new TimeWindow(new DateTimeOffset(2026, 3, 14, 11, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 3, 14, 12, 0, 0, TimeSpan.Zero));

        var query = new RequestFilter(window, Route: " ", Provider: "open ai", Status: "503").ToQuery();

        Assert.Equal("from=2026-03-14T11%3A00%3A00.0000000Z&to=2026-03-14T12%3A00%3A00.0000000Z&provider=open%20ai&status=503&limit=200", query);
    }

    [Fact]
    public void Cost_is_split_into_useful_hedging_and_retries_per_group()
    {
        var series = Costs.Split([new CostRow { Group = "openai", CostUsd = 1m, UsefulCostUsd = 0.7m, HedgeCostUsd = 0.2m, RetryCostUsd = 0.1m }]);

        Assert.Equal(["useful", "hedging", "retries"], series.Select(s => s.Name));
        Assert.Equal([0.7, 0.2, 0.1], series.Select(s => (double)s.Y[0]!));
        Assert.All(series, s => Assert.Equal("openai", s.X[0]));
    }
}
