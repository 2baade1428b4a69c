using System.Text.Json;

namespace Switchboard.Gateway.Tests.Reliability;

internal static class ErrorShape
{
    /// <summary>True for <c>{"error":{"message":string,"type":string,"param":..,"code":..}}</c>.</summary>
    public static bool IsOpenAIError(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            using var doc = JsonDocument.ParseValue(ref reader);
            return doc.RootElement.ValueKind == JsonValueKind.Object
                && doc.RootElement.TryGetProperty("error", out var error)
                && error.ValueKind == JsonValueKind.Object
                && error.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.String
                && error.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String
                && error.TryGetProperty("param", out _)
                && error.TryGetProperty("code", out _);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Why an answer breaks the bad-input rules, or null when it keeps them.</summary>
    public static string? Judge(BadInput input, RawResponse response)
    {
        if (response.Status >= 500)
        {
            return $"{response.Status} {Short(response.Text)}";
        }
        if (response.Headers.ContainsKey("Set-Cookie"))
        {
            return "a Set-Cookie header was answered";
        }
        var shaped = IsOpenAIError(response.Body);
        return input.Expect switch
        {
            Expect.Status when response.Status != input.Status => $"{response.Status} instead of {input.Status}: {Short(response.Text)}",
            Expect.Status or Expect.ClientError when !shaped => $"{response.Status} without the OpenAI error shape: {Short(response.Text)}",
            Expect.ClientError when response.Status is < 400 or >= 500 => $"{response.Status} instead of a 4xx",
            Expect.NoServerError when response.Status == 0 => "the connection closed without an answer",
            Expect.NoServerError when response.Status >= 400 && !shaped => $"{response.Status} without the OpenAI error shape: {Short(response.Text)}",
            _ => null,
        };
    }

    public static string Short(string s) => s.Length > 300 ? s[..300] + "..." : s;
}
