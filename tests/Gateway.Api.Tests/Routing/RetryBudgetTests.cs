using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Switchboard.Gateway.Configuration;
using Switchboard.Gateway.Routing;

namespace Switchboard.Gateway.Tests.Routing;

public sealed class RetryBudgetTests
{
    private static (RetryBudget Budget, FakeTimeProvider Time) Create(double ratio = 0.2, int min = 0, int windowMs = 10_000)
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var options = Options.Create(new GatewayOptions { RetryBudgetRatio = ratio, RetryBudgetMinPerWindow = min, RetryBudgetWindowMs = windowMs });
        return (new RetryBudget(time, options), time);
    }

    [Fact]
    public void Extra_attempts_are_capped_at_the_ratio_of_first_attempts()
    {
        var (budget, _) = Create();
        for (var i = 0; i < 100; i++)
        {
            budget.OnFirstAttempt();
        }
        var granted = Enumerable.Range(0, 50).Count(_ => budget.TryTakeExtra());
        Assert.Equal(20, granted);
    }

    [Fact]
    public void The_minimum_lets_a_quiet_gateway_retry()
    {
        var (budget, _) = Create(min: 3);
        var granted = Enumerable.Range(0, 10).Count(_ => budget.TryTakeExtra());
        Assert.Equal(3, granted);
    }

    [Fact]
    public void Spent_budget_comes_back_when_the_window_slides_past()
    {
        var (budget, time) = Create();
        for (var i = 0; i < 10; i++)
        {
            budget.OnFirstAttempt();
        }
        Assert.True(budget.TryTakeExtra());
        Assert.True(budget.TryTakeExtra());
        Assert.False(budget.TryTakeExtra());

        // Half a window later the old attempts still count.
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.False(budget.TryTakeExtra());

        // A whole window later they are gone: new first attempts earn new extras.
        time.Advance(TimeSpan.FromSeconds(6));
        for (var i = 0; i < 5; i++)
        {
            budget.OnFirstAttempt();
        }
        Assert.True(budget.TryTakeExtra());
        Assert.False(budget.TryTakeExtra());
    }
}
