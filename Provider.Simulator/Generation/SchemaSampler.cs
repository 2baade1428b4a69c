using System.Buffers;
using System.Text;
using System.Text.Json;
using Switchboard.Simulator.Behaviour;

namespace Switchboard.Simulator.Generation;

// Writes a sample JSON value for a JSON schema: objects get their required properties (all properties when none are
// marked required), enums their first value, strings a word, numbers a small value. Handles the OpenAPI-style
// upper-case types Gemini uses and local $refs.
internal static class SchemaSampler
{
    private const int MaxDepth = 8;

    public static string Sample(JsonElement? schema, ref SimRandom random)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            if (schema is { ValueKind: JsonValueKind.Object } s)
            {
                Write(writer, s, s, null, ref random, 0);
            }
            else
            {
                writer.WriteStartObject();
                writer.WriteEndObject();
            }
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void Write(Utf8JsonWriter w, JsonElement schema, JsonElement root, string? name, ref SimRandom random, int depth)
    {
        if (depth > MaxDepth || schema.ValueKind != JsonValueKind.Object)
        {
            w.WriteNullValue();
            return;
        }

        if (schema.TryGetProperty("$ref", out var reference) && Resolve(root, reference.GetString()) is { } target)
        {
            Write(w, target, root, name, ref random, depth + 1);
            return;
        }

        if (schema.TryGetProperty("const", out var constant))
        {
            constant.WriteTo(w);
            return;
        }

        if (schema.TryGetProperty("enum", out var values) && values.ValueKind == JsonValueKind.Array && values.GetArrayLength() > 0)
        {
            values[0].WriteTo(w);
            return;
        }

        foreach (var combinator in (ReadOnlySpan<string>)["anyOf", "oneOf", "allOf"])
        {
            if (schema.TryGetProperty(combinator, out var options) && options.ValueKind == JsonValueKind.Array)
            {
                foreach (var option in options.EnumerateArray())
                {
                    if (TypeOf(option) != "null")
                    {
                        Write(w, option, root, name, ref random, depth + 1);
                        return;
                    }
                }
            }
        }

        switch (TypeOf(schema))
        {
            case "object":
                WriteObject(w, schema, root, ref random, depth);
                break;
            case "array":
                w.WriteStartArray();
                if (schema.TryGetProperty("items", out var items))
                {
                    Write(w, items, root, name, ref random, depth + 1);
                }

                w.WriteEndArray();
                break;
            case "integer":
                w.WriteNumberValue(Minimum(schema) + random.Next(10));
                break;
            case "number":
                w.WriteNumberValue(Minimum(schema) + 0.5);
                break;
            case "boolean":
                w.WriteBooleanValue(true);
                break;
            case "null":
                w.WriteNullValue();
                break;
            default:
                w.WriteStringValue(SampleString(schema, name, ref random));
                break;
        }
    }

    private static void WriteObject(Utf8JsonWriter w, JsonElement schema, JsonElement root, ref SimRandom random, int depth)
    {
        w.WriteStartObject();
        if (schema.TryGetProperty("properties", out var properties) && properties.ValueKind == JsonValueKind.Object)
        {
            var hasRequired = schema.TryGetProperty("required", out var required) && required.ValueKind == JsonValueKind.Array;
            foreach (var property in properties.EnumerateObject())
            {
                if (hasRequired && !Contains(required, property.Name))
                {
                    continue;
                }

                w.WritePropertyName(property.Name);
                Write(w, property.Value, root, property.Name, ref random, depth + 1);
            }
        }

        w.WriteEndObject();
    }

    private static string TypeOf(JsonElement schema)
    {
        if (!schema.TryGetProperty("type", out var type))
        {
            return schema.TryGetProperty("properties", out _) ? "object" : schema.TryGetProperty("items", out _) ? "array" : "string";
        }

        if (type.ValueKind == JsonValueKind.Array)
        {
            foreach (var t in type.EnumerateArray())
            {
                var name = t.GetString()?.ToLowerInvariant();
                if (name is not null and not "null")
                {
                    return name;
                }
            }

            return "null";
        }

        return type.GetString()?.ToLowerInvariant() ?? "string";
    }

    private static string SampleString(JsonElement schema, string? name, ref SimRandom random)
    {
        var format = schema.TryGetProperty("format", out var f) ? f.GetString() : null;
        return format switch
        {
            "date" => "2024-05-01",
            "date-time" => "2024-05-01T12:00:00Z",
            "email" => "someone@example.com",
            "uri" or "url" => "https://example.com/",
            "uuid" => "00000000-0000-4000-8000-000000000000",
            _ => name is not null && name.Contains("location", StringComparison.OrdinalIgnoreCase) ? "Paris, France"
                : Vocabulary.Words[random.Next(Vocabulary.Words.Length)],
        };
    }

    private static long Minimum(JsonElement schema) =>
        schema.TryGetProperty("minimum", out var min) && min.TryGetInt64(out var m) ? m : 1;

    private static bool Contains(JsonElement array, string name)
    {
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.String && item.ValueEquals(name))
            {
                return true;
            }
        }

        return false;
    }

    private static JsonElement? Resolve(JsonElement root, string? reference)
    {
        if (reference is null || !reference.StartsWith("#/", StringComparison.Ordinal))
        {
            return null;
        }

        var current = root;
        foreach (var part in reference[2..].Split('/'))
        {
            if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(part, out current))
            {
                return null;
            }
        }

        return current;
    }
}
