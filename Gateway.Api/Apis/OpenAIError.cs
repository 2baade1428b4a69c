using System.Buffers;
using System.Text.Json;

namespace Switchboard.Gateway.Apis;

/// <summary>Writes errors in the OpenAI shape: <c>{"error":{"message","type","param","code"}}</c>.</summary>
internal static class OpenAIError
{
    public static byte[] Body(string message, string type, string? param = null, string? code = null)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            WriteObject(writer, message, type, param, code);
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The SSE frame sent when a stream breaks after it started (the SDKs raise on it).</summary>
    public static void WriteStreamFrame(IBufferWriter<byte> output, string message, string type, string? code)
    {
        output.Write("data: "u8);
        using (var writer = new Utf8JsonWriter(output))
        {
            WriteObject(writer, message, type, null, code);
        }
        output.Write("\n\n"u8);
    }

    private static void WriteObject(Utf8JsonWriter writer, string message, string type, string? param, string? code)
    {
        writer.WriteStartObject();
        writer.WriteStartObject("error");
        writer.WriteString("message", message);
        writer.WriteString("type", type);
        if (param is null)
        {
            writer.WriteNull("param");
        }
        else
        {
            writer.WriteString("param", param);
        }
        if (code is null)
        {
            writer.WriteNull("code");
        }
        else
        {
            writer.WriteString("code", code);
        }
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    public static string TypeFor(int status) => status switch
    {
        401 => "authentication_error",
        403 => "permission_error",
        404 => "invalid_request_error",
        429 => "rate_limit_error",
        >= 500 => "api_error",
        _ => "invalid_request_error",
    };

    public static async Task WriteAsync(HttpContext context, int status, string message, string? type = null, string? param = null, string? code = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Response.HasStarted)
        {
            return;
        }
        var body = Body(message, type ?? TypeFor(status), param, code);
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
    }
}
