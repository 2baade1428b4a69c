using System.Text.Json;

namespace Switchboard.Admin.Clients;

/// <summary>
/// JSON for both service clients: web defaults (camelCase, case-insensitive, unknown fields ignored). Reflection
/// rather than source generation on purpose: generated code assigns every init-only property, so a field a
/// service leaves out would become null instead of keeping its default ([] or Percentiles.Empty).
/// </summary>
public static class AdminJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };
}
