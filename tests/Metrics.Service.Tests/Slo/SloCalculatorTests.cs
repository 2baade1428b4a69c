using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Switchboard.Contracts.Outcomes;
using Switchboard.Contracts.Routing;
using Switchboard.Metrics.Extensions;
using Switchboard.Metrics.Ingestion;
using Switchboard.Metrics.Rollups;
using Switchboard.Metrics.Slo;

namespace Switchboard.Metrics.Tests.Slo;

public sealed class SloCalculatorTests
{
    private static readonly DateTimeOffset Now = new(2026, 5, 4, 12, 0, 0, TimeSpan.Zero);

    private static RollupAccumulator Window(int requests, int errors, double latencyMs = 100)
    {
        var window = new RollupAccumulator();
        for (var i = 0; i < requests; i++)
        {
            window.AddAttempt(new AttemptFacts(true, i < errors ? 503 : 200, latencyMs, latencyMs / 4, i < errors ? AttemptOutcome.Failure : AttemptOutcome.Success,
                i >= errors, i < errors ? ErrorClass.ServerError : null, 0.001m, 10, 10, 0, 0));
        }
        return window;
    }

    [Fact]
    public void Error_budget_and_burn_rates_follow_the_availability_objective()
    {
        var slo = new SloConfig { Availability = 0.999 };
        var status = SloCalculator.Evaluate("chat", slo, Now.AddDays(-30), Now,
            window: Window(10_000, 5), lastHour: Window(1000, 2), last6Hours: Window(4000, 4), last5Minutes: Window(100, 0), fastBurnRate: 14.4);

        Assert.Equal(0.9995, status.Availability!.Value, 9);
        Assert.True(status.Compliant);
        Assert.Equal(0.5, status.ErrorBudgetRemaining!.Value, 6);   // 5 of 10 allowed errors spent
        Assert.Equal(2, status.BurnRate1h!.Value, 6);               // 0.2% errors against a 0.1% budget
        Assert.Equal(1, status.BurnRate6h!.Value, 6);
        Assert.False(status.FastBurn);
    }

    [Fact]
    public void Fast_burn_needs_the_5_minute_window_to_confirm_the_hour()
    {
        var slo = new SloConfig { Availability = 0.99 };
        var burning = SloCalculator.Evaluate("chat", slo, Now.AddDays(-30), Now, Window(1000, 200), Window(100, 20), Window(100, 20), Window(10, 2), 14.4);
        var stopped = SloCalculator.Evaluate("chat", slo, Now.AddDays(-30), Now, Window(1000, 200), Window(100, 20), Window(100, 20), Window(10, 0), 14.4);

        Assert.True(burning.FastBurn);
        Assert.False(stopped.FastBurn);
        Assert.False(burning.Compliant);
        Assert.True(burning.ErrorBudgetRemaining < 0);
    }

    [Fact]
    public void Latency_objectives_decide_compliance_without_an_availability_objective()
    {
        var slo = new SloConfig { P95Ms = 500 };
        var slow = SloCalculator.Evaluate("r", slo, Now, Now, Window(100, 0, latencyMs: 800), new(), new(), new(), 14.4);
        var fast = SloCalculator.Evaluate("r", slo, Now, Now, Window(100, 0, latencyMs: 300), new(), new(), new(), 14.4);

        Assert.False(slow.Compliant);
        Assert.True(fast.Compliant);
        Assert.Null(fast.ErrorBudgetRemaining);
        Assert.Null(fast.BurnRate1h);
    }

    [Fact]
    public void Monitor_raises_an_alert_once_and_clears_it_when_the_burn_stops()
    {
        var time = new FakeTimeProvider(Now);
        using var meters = new TestMeterFactory();
        var monitor = new SloMonitor(null!, null!, new IngestionMetrics(meters), Options.Create(new MetricsOptions()), time,
            NullLogger<SloMonitor>.Instance);
        var slo = new SloConfig { Availability = 0.99 };
        var burning = SloCalculator.Evaluate("chat", slo, Now, Now, Window(1000, 200), Window(100, 20), Window(100, 20), Window(10, 2), 14.4);

        monitor.Apply([burning]);
        time.Advance(TimeSpan.FromMinutes(1));
        monitor.Apply([burning]);
        var raised = Assert.Single(monitor.Alerts);
        Assert.Equal(Now, raised.RaisedAt);
        Assert.Null(raised.ClearedAt);

        time.Advance(TimeSpan.FromMinutes(10));
        monitor.Apply([burning with { FastBurn = false }]);
        Assert.Equal(Now.AddMinutes(11), Assert.Single(monitor.Alerts).ClearedAt);
    }

    private sealed class TestMeterFactory : System.Diagnostics.Metrics.IMeterFactory
    {
        private readonly List<System.Diagnostics.Metrics.Meter> _meters = [];

        public System.Diagnostics.Metrics.Meter Create(System.Diagnostics.Metrics.MeterOptions options)
        {
            var meter = new System.Diagnostics.Metrics.Meter(options);
            _meters.Add(meter);
            return meter;
        }

        public void Dispose() => _meters.ForEach(m => m.Dispose());
    }
}
