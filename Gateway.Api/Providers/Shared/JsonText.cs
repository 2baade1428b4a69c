using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Switchboard.Gateway.Providers;

// Shared by the translating adapters; see RequestTranslationException.cs for why it lives in this folder.

/// <summary>Small allocation-free readers over a parsed request.</summary>
public static class JsonText
{
    /// <summary>
    /// The UTF-8 text of a JSON string without allocating when it has no escapes (the common case for URLs and base64).
    /// </summary>
    public static ReadOnlySpan<byte> Utf8(JsonElement value)
    {
        var raw = JsonMarshal.GetRawUtf8Value(value);
        if (raw.Length >= 2 && raw[0] == (byte)'"')
        {
            raw = raw[1..^1];
        }
        return raw.IndexOf((byte)'\\') < 0 ? raw : Encoding.UTF8.GetBytes(value.GetString() ?? "");
    }

    /// <summary>The property as a string element, or default.</summary>
    public static bool TryGetString(this JsonElement obj, ReadOnlySpan<byte> name, out JsonElement value)
    {
        if (obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out value) && value.ValueKind == JsonValueKind.String)
        {
            return true;
        }
        value = default;
        return false;
    }

    /// <summary>The property when present and not null.</summary>
    public static bool TryGet(this JsonElement obj, ReadOnlySpan<byte> name, out JsonElement value)
    {
        if (obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null)
        {
            return true;
        }
        value = default;
        return false;
    }

    /// <summary>True when the element is JSON text with no characters (<c>""</c>).</summary>
    public static bool IsEmptyString(JsonElement value) => value.ValueKind == JsonValueKind.String && value.ValueEquals(""u8);

    /// <summary>
    /// Writes an OpenAI tool-call <c>arguments</c> string (JSON text inside a JSON string) as the JSON object it holds.
    /// Empty arguments become <c>{}</c>; anything that is not a JSON object is a client error.
    /// </summary>
    public static void WriteArgumentsObject(Utf8JsonWriter writer, JsonElement arguments, string param)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (arguments.ValueKind == JsonValueKind.Object)
        {
            arguments.WriteTo(writer); // some clients send the object itself
            return;
        }
        var text = arguments.ValueKind == JsonValueKind.String ? arguments.GetString() ?? "" : "";
        var trimmed = text.AsSpan().Trim();
        if (trimmed.IsEmpty)
        {
            writer.WriteStartObject();
            writer.WriteEndObject();
            return;
        }
        if (trimmed[0] != '{')
        {
            throw new RequestTranslationException($"'{param}' must be a JSON object encoded as a string.", param);
        }
        try
        {
            writer.WriteRawValue(trimmed, skipInputValidation: false);
        }
        catch (Exception ex) when (ex is JsonException or ArgumentException)
        {
            throw new RequestTranslationException($"'{param}' is not valid JSON: {ex.Message}", param, ex);
        }
    }
}
