using Microsoft.Extensions.Options;
using Switchboard.Metrics.Extensions;
using Switchboard.Metrics.Rollups;

namespace Switchboard.Metrics.Slo;

/// <summary>Evaluates every route that declares an SLO, over the SLO window and the 1 h, 6 h and 5 min burn windows.</summary>
internal sealed class SloReport(RollupReader reader, RouteObjectives objectives, IOptions<MetricsOptions> options, TimeProvider time)
{
    public async Task<IReadOnlyList<SloStatus>> GetAsync(CancellationToken cancellationToken)
    {
        var slos = objectives.Current;
        if (slos.Count == 0)
        {
            return [];
        }
        var now = time.GetUtcNow();
        var filter = new RollupFilter(Routes: [.. slos.Keys]);
        var from = now - options.Value.SloWindow;
        var window = await reader.ReadAsync(from, now, GroupBy.Route, filter, cancellationToken);
        var hour = await reader.ReadAsync(now.AddHours(-1), now, GroupBy.Route, filter, cancellationToken);
        var sixHours = await reader.ReadAsync(now.AddHours(-6), now, GroupBy.Route, filter, cancellationToken);
        var fiveMinutes = await reader.ReadAsync(now.AddMinutes(-5), now, GroupBy.Route, filter, cancellationToken);
        return [.. slos
            .OrderBy(s => s.Key, StringComparer.Ordinal)
            .Select(s => SloCalculator.Evaluate(s.Key, s.Value, from, now,
                window.GetValueOrDefault(s.Key) ?? new RollupAccumulator(),
                hour.GetValueOrDefault(s.Key) ?? new RollupAccumulator(),
                sixHours.GetValueOrDefault(s.Key) ?? new RollupAccumulator(),
                fiveMinutes.GetValueOrDefault(s.Key) ?? new RollupAccumulator(),
                options.Value.FastBurnRate))];
    }
}
