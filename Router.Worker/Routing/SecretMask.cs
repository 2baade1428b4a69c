using System.Text.Json.Nodes;
using Switchboard.Contracts.Routing;

namespace Switchboard.Router.Routing;

/// <summary>
/// Keeps literal credentials of a routing document inside Router.Worker: documents leave the control API with every
/// literal key replaced by <see cref="Value"/>, and a document sent back with the mask in a place keeps the key stored
/// there. References (<c>env:NAME</c>, <c>file:/path</c>, <c>secret:NAME</c>, <c>${NAME}</c>) name where a key is,
/// not the key, and are shown as they are. The places: <c>providers.*.apiKey</c>, <c>providers.*.apiKeys[i]</c>,
/// credential-like <c>providers.*.headers.*</c> and <c>keys[i].key</c> (gateway keys written into the document).
/// </summary>
internal static class SecretMask
{
    /// <summary>What a literal key is shown as.</summary>
    public const string Value = "********";

    private static readonly System.Text.Json.JsonDocumentOptions Lenient = new() { CommentHandling = System.Text.Json.JsonCommentHandling.Skip, AllowTrailingCommas = true };
    private static readonly string[] References = ["env:", "file:", "secret:"];
    private static readonly string[] CredentialHeaderParts = ["key", "token", "secret", "auth", "password", "cookie"];

    /// <summary>The document with every literal credential masked (a document that is not a JSON object is returned as is).</summary>
    public static JsonNode? Mask(JsonNode? document)
    {
        if (document is not JsonObject)
        {
            return document;
        }
        var copy = document.DeepClone();
        foreach (var slot in Slots(copy))
        {
            if (slot.Get() is { } value && !IsReference(value))
            {
                slot.Set(Value);
            }
        }
        return copy;
    }

    /// <summary>
    /// Puts back, in <paramref name="text"/>, the key that <paramref name="stored"/> holds at each place sent as the
    /// mask. Text that is not a JSON object, or has no mask, is returned unchanged (the validator judges it). A mask
    /// with nothing stored behind it is an error naming the field.
    /// </summary>
    public static (string Text, IReadOnlyList<RoutingError> Errors) Unmask(string text, string? stored)
    {
        JsonNode? incoming;
        try
        {
            incoming = JsonNode.Parse(text, documentOptions: Lenient);
        }
        catch (System.Text.Json.JsonException)
        {
            return (text, []);
        }
        if (incoming is not JsonObject)
        {
            return (text, []);
        }
        var masked = Slots(incoming).Where(s => s.Get() == Value).ToList();
        if (masked.Count == 0)
        {
            return (text, []);
        }
        var known = StoredValues(stored);
        var errors = new List<RoutingError>();
        foreach (var slot in masked)
        {
            if (known.TryGetValue(slot.Match, out var value) && !IsReference(value) && value != Value)
            {
                slot.Set(value);
            }
            else
            {
                errors.Add(new(slot.Path, "is the mask of a stored key, but no key is stored there: send the key or a reference (env:NAME, file:/path, secret:NAME)"));
            }
        }
        return (incoming.ToJsonString(), errors);
    }

    private static Dictionary<string, string> StoredValues(string? stored)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        if (stored is null)
        {
            return values;
        }
        try
        {
            foreach (var slot in Slots(JsonNode.Parse(stored, documentOptions: Lenient)))
            {
                if (slot.Get() is { } value)
                {
                    values[slot.Match] = value;
                }
            }
        }
        catch (System.Text.Json.JsonException)
        {
            // nothing usable stored
        }
        return values;
    }

    private static bool IsReference(string value) =>
        References.Any(r => value.StartsWith(r, StringComparison.Ordinal))
        || (value.StartsWith("${", StringComparison.Ordinal) && value.EndsWith('}') && value.IndexOf('}', StringComparison.Ordinal) == value.Length - 1);

    private static bool IsCredentialHeader(string name) =>
        CredentialHeaderParts.Any(p => name.Contains(p, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// A place that may hold a credential: <see cref="Path"/> names it as the validator names fields;
    /// <see cref="Match"/> finds the same place in another version of the document.
    /// </summary>
    private sealed record Slot(string Path, JsonNode Parent, string? Property, int Index)
    {
        public string Match { get; init; } = Path;

        public string? Get()
        {
            var node = Property is null ? ((JsonArray)Parent)[Index] : ((JsonObject)Parent)[Property];
            return node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
        }

        public void Set(string value)
        {
            if (Property is null)
            {
                ((JsonArray)Parent)[Index] = value;
            }
            else
            {
                ((JsonObject)Parent)[Property] = value;
            }
        }
    }

    /// <summary>Gateway keys are matched by name (not position), so reordering the list keeps each key.</summary>
    private static IEnumerable<Slot> Slots(JsonNode? document)
    {
        if (document is not JsonObject root)
        {
            yield break;
        }
        if (root["providers"] is JsonObject providers)
        {
            foreach (var (name, node) in providers)
            {
                if (node is not JsonObject provider)
                {
                    continue;
                }
                if (provider.ContainsKey("apiKey"))
                {
                    yield return new($"providers.{name}.apiKey", provider, "apiKey", -1);
                }
                if (provider["apiKeys"] is JsonArray keys)
                {
                    for (var i = 0; i < keys.Count; i++)
                    {
                        yield return new($"providers.{name}.apiKeys[{i}]", keys, null, i);
                    }
                }
                if (provider["headers"] is JsonObject headers)
                {
                    foreach (var header in headers.Select(h => h.Key).Where(IsCredentialHeader).ToList())
                    {
                        yield return new($"providers.{name}.headers.{header}", headers, header, -1);
                    }
                }
            }
        }
        if (root["keys"] is JsonArray gatewayKeys)
        {
            for (var i = 0; i < gatewayKeys.Count; i++)
            {
                if (gatewayKeys[i] is JsonObject key && key.ContainsKey("key"))
                {
                    var name = key["name"] is JsonValue n && n.TryGetValue<string>(out var s) ? s : $"[{i}]";
                    yield return new($"keys[{i}].key", key, "key", -1) { Match = $"keys.{name}.key" };
                }
            }
        }
    }
}
