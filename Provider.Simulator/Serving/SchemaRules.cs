using System.Text.Json;
using Switchboard.Simulator.Generation;

namespace Switchboard.Simulator.Serving;

// The structural rules a JSON schema in a request must follow before the simulator samples an answer from it, as the
// real APIs check them: a malformed schema ("type": -453, "properties": [] ...) is the client's error, answered 400
// with the place named, never a 500 from the sampler.
internal static class SchemaRules
{
    private const int MaxDepth = 32;

    // The first broken rule in the request's response schema or tool parameter schemas, as a 400 refusal.
    public static Refusal? Check(GenerationRequest request, string schemaName)
    {
        if (request.Schema is { } schema && Check(schema, schemaName, 0) is { } problem)
        {
            return new Refusal(StatusCodes.Status400BadRequest, $"Invalid schema for {problem}");
        }

        foreach (var tool in request.Tools)
        {
            if (tool.Schema is { } parameters && Check(parameters, $"function '{tool.Name}' parameters", 0) is { } toolProblem)
            {
                return new Refusal(StatusCodes.Status400BadRequest, $"Invalid schema for {toolProblem}");
            }
        }

        return null;
    }

    private static string? Check(JsonElement schema, string at, int depth)
    {
        if (schema.ValueKind is JsonValueKind.True or JsonValueKind.False)
        {
            return null;
        }

        if (schema.ValueKind != JsonValueKind.Object)
        {
            return $"{at}: a schema must be an object, not {Kind(schema)}.";
        }

        if (depth > MaxDepth)
        {
            return $"{at}: schemas may be nested at most {MaxDepth} levels deep.";
        }

        foreach (var property in schema.EnumerateObject())
        {
            var value = property.Value;
            var here = $"{at}.{property.Name}";
            var problem = property.Name switch
            {
                "type" => value.ValueKind == JsonValueKind.String || (value.ValueKind == JsonValueKind.Array && AllStrings(value))
                    ? null : $"{here}: 'type' must be a string or an array of strings, not {Kind(value)}.",
                "$ref" or "format" or "pattern" or "description" or "title" => value.ValueKind == JsonValueKind.String
                    ? null : $"{here}: must be a string, not {Kind(value)}.",
                "required" => value.ValueKind == JsonValueKind.Array && AllStrings(value)
                    ? null : $"{here}: 'required' must be an array of property names.",
                "enum" => value.ValueKind == JsonValueKind.Array ? null : $"{here}: 'enum' must be an array, not {Kind(value)}.",
                "minimum" or "maximum" or "minLength" or "maxLength" or "minItems" or "maxItems" => value.ValueKind == JsonValueKind.Number
                    ? null : $"{here}: must be a number, not {Kind(value)}.",
                "properties" or "$defs" or "definitions" or "patternProperties" => CheckMap(value, here, depth),
                "items" or "additionalProperties" or "not" => Check(value, here, depth + 1),
                "anyOf" or "oneOf" or "allOf" or "prefixItems" => CheckList(value, here, depth),
                _ => null,
            };
            if (problem is not null)
            {
                return problem;
            }
        }

        return null;
    }

    private static string? CheckMap(JsonElement map, string at, int depth)
    {
        if (map.ValueKind != JsonValueKind.Object)
        {
            return $"{at}: must be an object of schemas, not {Kind(map)}.";
        }

        foreach (var entry in map.EnumerateObject())
        {
            if (Check(entry.Value, $"{at}.{entry.Name}", depth + 1) is { } problem)
            {
                return problem;
            }
        }

        return null;
    }

    private static string? CheckList(JsonElement list, string at, int depth)
    {
        if (list.ValueKind != JsonValueKind.Array)
        {
            return $"{at}: must be an array of schemas, not {Kind(list)}.";
        }

        var i = 0;
        foreach (var item in list.EnumerateArray())
        {
            if (Check(item, $"{at}[{i++}]", depth + 1) is { } problem)
            {
                return problem;
            }
        }

        return null;
    }

    private static bool AllStrings(JsonElement array)
    {
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                return false;
            }
        }

        return true;
    }

    private static string Kind(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.Null => "null",
        _ => "a boolean",
    };
}
