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

    // Writes "name": the pieces joined, without making the joined string (a pooled buffer holds the characters).
    public static void WriteConcatenated(Utf8JsonWriter w, string name, ReadOnlySpan<string> pieces)
    {
        if (pieces.Length == 1)
        {
            w.WriteString(name, pieces[0]);
            return;
        }

        var length = 0;
        foreach (var piece in pieces)
        {
            length += piece.Length;
        }

        var buffer = System.Buffers.ArrayPool<char>.Shared.Rent(Math.Max(1, length));
        var at = 0;
        foreach (var piece in pieces)
        {
            piece.CopyTo(buffer.AsSpan(at));
            at += piece.Length;
        }

        w.WriteString(name, buffer.AsSpan(0, length));
        System.Buffers.ArrayPool<char>.Shared.Return(buffer);
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
