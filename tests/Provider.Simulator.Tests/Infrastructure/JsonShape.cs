using System.Text.Json;

namespace Switchboard.Simulator.Tests.Infrastructure;

public static class JsonShape
{
    // Every field of reference must be present in actual with the same JSON kind (arrays compared element by element
    // against the reference's first element). Returns the differences.
    public static IReadOnlyList<string> Differences(JsonElement reference, JsonElement actual, string path = "$")
    {
        var differences = new List<string>();
        Compare(reference, actual, path, differences);
        return differences;
    }

    private static void Compare(JsonElement reference, JsonElement actual, string path, List<string> differences)
    {
        if (Kind(reference) != Kind(actual))
        {
            differences.Add($"{path}: expected {reference.ValueKind}, got {actual.ValueKind}");
            return;
        }

        switch (reference.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in reference.EnumerateObject())
                {
                    if (!actual.TryGetProperty(property.Name, out var value))
                    {
                        differences.Add($"{path}.{property.Name}: missing");
                        continue;
                    }

                    Compare(property.Value, value, $"{path}.{property.Name}", differences);
                }

                break;
            case JsonValueKind.Array when reference.GetArrayLength() > 0:
                if (actual.GetArrayLength() == 0)
                {
                    differences.Add($"{path}: empty array");
                    break;
                }

                foreach (var (item, i) in actual.EnumerateArray().Select((e, i) => (e, i)))
                {
                    Compare(reference[0], item, $"{path}[{i}]", differences);
                }

                break;
        }
    }

    private static JsonValueKind Kind(JsonElement e) => e.ValueKind is JsonValueKind.True ? JsonValueKind.False : e.ValueKind;
}
