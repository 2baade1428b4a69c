using Switchboard.Simulator.Behaviour;

namespace Switchboard.Simulator.Generation;

// Labelled mode for cascade experiments. Per item (seed + item id, so repeatable and independent of arrival order)
// the correct label is answered with probability accuracy, otherwise another label. The reported probability is
// calibrated so that confidence means something: right answers draw p = 0.6 + 0.39 sqrt(u) (mostly above 0.85), wrong
// ones p = 0.34 + 0.5 u^2 (mostly below 0.6).
internal static class LabelOracle
{
    public static (string Label, double Probability, bool Correct) Decide(long seed, LabelRequest request, double accuracy)
    {
        var hash = new StableHash();
        hash.Add(request.Item);
        if (request.Seed is { } sample)
        {
            hash.Add("|seed|" + sample.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        var random = SimRandom.For(seed, hash.Value, 7919);
        var right = random.NextDouble() < accuracy;
        var u = random.NextDouble();
        var pick = random.Next(Math.Max(1, request.Labels.Count - 1));

        var wrongLabels = request.Labels.Where(l => !string.Equals(l, request.Correct, StringComparison.Ordinal)).ToArray();
        if (right || wrongLabels.Length == 0)
        {
            return (request.Correct, 0.6 + 0.39 * Math.Sqrt(u), true);
        }

        return (wrongLabels[pick % wrongLabels.Length], 0.34 + 0.5 * u * u, false);
    }
}
