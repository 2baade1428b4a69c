using System.Text.Json;

namespace Switchboard.Gateway.Providers.Gemini;

/// <summary>
/// Copies a JSON schema into the OpenAPI subset Gemini's <c>Schema</c> accepts. Gemini rejects unknown keywords
/// (<c>additionalProperties</c>, <c>$schema</c>, <c>$ref</c>, <c>oneOf</c>, string formats other than enum and
/// date-time...), so this keeps a whitelist rather than a blacklist, turns <c>"type": ["string","null"]</c> into
/// <c>type</c> + <c>nullable</c>, and <c>const</c> into a one-value <c>enum</c>.
/// </summary>
public static class GeminiSchema
{
    /// <summary>Writes the Gemini form of <paramref name="schema"/>.</summary>
    public static void Write(Utf8JsonWriter writer, JsonElement schema)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (schema.ValueKind != JsonValueKind.Object)
        {
            writer.WriteStartObject();
            writer.WriteEndObject();
            return;
        }
        writer.WriteStartObject();
        var hasEnum = schema.TryGetProperty("enum"u8, out _);
        foreach (var p in schema.EnumerateObject())
        {
            var v = p.Value;
            if (p.NameEquals("type"u8))
            {
                WriteType(writer, v);
            }
            else if (p.NameEquals("properties"u8) && v.ValueKind == JsonValueKind.Object)
            {
                writer.WriteStartObject("properties"u8);
                foreach (var property in v.EnumerateObject())
                {
                    writer.WritePropertyName(property.Name);
                    Write(writer, property.Value);
                }
                writer.WriteEndObject();
            }
            else if (p.NameEquals("items"u8) && v.ValueKind == JsonValueKind.Object)
            {
                writer.WritePropertyName("items"u8);
                Write(writer, v);
            }
            else if ((p.NameEquals("anyOf"u8) || p.NameEquals("oneOf"u8)) && v.ValueKind == JsonValueKind.Array)
            {
                // oneOf is not accepted; anyOf is the closest meaning Gemini has.
                writer.WriteStartArray("anyOf"u8);
                foreach (var item in v.EnumerateArray())
                {
                    Write(writer, item);
                }
                writer.WriteEndArray();
            }
            else if (p.NameEquals("format"u8))
            {
                if (v.ValueEquals("enum"u8) || v.ValueEquals("date-time"u8) || v.ValueEquals("int32"u8) || v.ValueEquals("int64"u8)
                    || v.ValueEquals("float"u8) || v.ValueEquals("double"u8))
                {
                    p.WriteTo(writer);
                }
            }
            else if (p.NameEquals("const"u8) && !hasEnum && v.ValueKind == JsonValueKind.String)
            {
                writer.WriteStartArray("enum"u8);
                v.WriteTo(writer);
                writer.WriteEndArray();
            }
            else if (IsKept(p))
            {
                p.WriteTo(writer);
            }
        }
        writer.WriteEndObject();
    }

    /// <summary>True when a function's parameters declare no property: Gemini rejects an empty OBJECT schema.</summary>
    public static bool IsEmptyObject(JsonElement schema) =>
        schema.ValueKind != JsonValueKind.Object
        || !schema.TryGetProperty("properties"u8, out var properties)
        || properties.ValueKind != JsonValueKind.Object
        || !properties.EnumerateObject().MoveNext();

    private static bool IsKept(JsonProperty p) =>
        p.NameEquals("description"u8) || p.NameEquals("title"u8) || p.NameEquals("nullable"u8) || p.NameEquals("enum"u8)
        || p.NameEquals("required"u8) || p.NameEquals("minItems"u8) || p.NameEquals("maxItems"u8)
        || p.NameEquals("minLength"u8) || p.NameEquals("maxLength"u8) || p.NameEquals("pattern"u8)
        || p.NameEquals("minimum"u8) || p.NameEquals("maximum"u8) || p.NameEquals("minProperties"u8)
        || p.NameEquals("maxProperties"u8) || p.NameEquals("propertyOrdering"u8) || p.NameEquals("default"u8)
        || p.NameEquals("example"u8);

    private static void WriteType(Utf8JsonWriter writer, JsonElement type)
    {
        if (type.ValueKind == JsonValueKind.String)
        {
            writer.WritePropertyName("type"u8);
            type.WriteTo(writer);
            return;
        }
        if (type.ValueKind != JsonValueKind.Array)
        {
            return;
        }
        JsonElement chosen = default;
        var nullable = false;
        foreach (var t in type.EnumerateArray())
        {
            if (t.ValueKind != JsonValueKind.String)
            {
                continue;
            }
            if (t.ValueEquals("null"u8))
            {
                nullable = true;
            }
            else if (chosen.ValueKind == JsonValueKind.Undefined)
            {
                chosen = t;
            }
        }
        if (chosen.ValueKind == JsonValueKind.String)
        {
            writer.WritePropertyName("type"u8);
            chosen.WriteTo(writer);
        }
        if (nullable)
        {
            writer.WriteBoolean("nullable"u8, true);
        }
    }
}
