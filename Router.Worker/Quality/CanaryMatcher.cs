using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.RegularExpressions;
using Json.Schema;
using Switchboard.Contracts.Routing;

namespace Switchboard.Router.Quality;

/// <summary>Checks a canary answer: <c>exact</c>, <c>contains</c> (case-insensitive), <c>regex</c> or <c>json-schema</c>.</summary>
internal sealed class CanaryMatcher
{
    private readonly ConcurrentDictionary<string, JsonSchema?> _schemas = new(StringComparer.Ordinal);

    public bool Matches(CanaryConfig canary, string? answer)
    {
        ArgumentNullException.ThrowIfNull(canary);
        if (answer is null)
        {
            return false;
        }
        var text = answer.Trim();
        return canary.Match switch
        {
            "exact" => string.Equals(text, canary.Expected.Trim(), StringComparison.Ordinal),
            "contains" => text.Contains(canary.Expected, StringComparison.OrdinalIgnoreCase),
            "regex" => RegexMatches(canary.Expected, text),
            "json-schema" => SchemaMatches(canary.Expected, StripFence(text)),
            _ => false,
        };
    }

    private static bool RegexMatches(string pattern, string text)
    {
        try
        {
            return Regex.IsMatch(text, pattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        }
        catch (Exception ex) when (ex is ArgumentException or RegexMatchTimeoutException)
        {
            return false;
        }
    }

    private bool SchemaMatches(string schemaText, string text)
    {
        var schema = _schemas.GetOrAdd(schemaText, static s =>
        {
            try
            {
                return JsonSchema.FromText(s);
            }
            catch (Exception ex) when (ex is JsonException or ArgumentException or InvalidOperationException)
            {
                return null;
            }
        });
        if (schema is null)
        {
            return false;
        }
        try
        {
            using var doc = JsonDocument.Parse(text);
            return schema.Evaluate(doc.RootElement).IsValid;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Models often wrap JSON in a Markdown code fence.</summary>
    private static string StripFence(string text)
    {
        if (!text.StartsWith("```", StringComparison.Ordinal))
        {
            return text;
        }
        var start = text.IndexOf('\n', StringComparison.Ordinal);
        var end = text.LastIndexOf("```", StringComparison.Ordinal);
        return start > 0 && end > start ? text[(start + 1)..end].Trim() : text;
    }
}
