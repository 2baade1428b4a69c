using System.Buffers;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Switchboard.Simulator.Wire;

internal static class Json
{
    // Relaxed escaping, as the real APIs write: \" rather than \u0022, non-ASCII text as is.
    public static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };

    public static Utf8JsonWriter Writer(IBufferWriter<byte> output) => new(output, WriterOptions);

    public static void SseData(IBufferWriter<byte> output, Action<Utf8JsonWriter> write)
    {
        output.Write("data: "u8);
        using (var writer = Writer(output))
        {
            write(writer);
        }

        output.Write("\n\n"u8);
    }

    public static string? String(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    public static int? Int(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i) ? i : null;

    public static bool Bool(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.True;

    public static JsonElement? Element(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var v) && v.ValueKind is not JsonValueKind.Null and not JsonValueKind.Undefined ? v : null;

    // Either of two spellings (Gemini accepts camelCase and snake_case).
    public static JsonElement? Element(JsonElement obj, string name, string alternative) => Element(obj, name) ?? Element(obj, alternative);

    public static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}
