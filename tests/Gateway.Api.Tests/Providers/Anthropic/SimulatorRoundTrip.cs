using System.Buffers;
using System.Text;
using System.Text.Json;
using Switchboard.Gateway.Providers;

namespace Switchboard.Gateway.Tests.Providers;

/// <summary>Sends an adapter's request over real HTTP and translates what comes back, as the relay would.</summary>
internal static class SimulatorRoundTrip
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    public static async Task<(HttpResponseMessage Response, TranslatedCompletion? Completion)> CompleteAsync(IProviderAdapter adapter, AttemptContext attempt)
    {
        using var request = adapter.CreateRequest(attempt);
        var response = await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        return response.IsSuccessStatusCode
            ? (response, await adapter.ReadCompletionAsync(response, attempt, CancellationToken.None))
            : (response, null);
    }

    /// <summary>Streams the answer through the adapter's translator; returns what the client would have received.</summary>
    public static async Task<(IStreamTranslator Translator, string Written)> StreamAsync(IProviderAdapter adapter, AttemptContext attempt)
    {
        using var request = adapter.CreateRequest(attempt);
        using var response = await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.True(response.IsSuccessStatusCode, $"upstream answered {(int)response.StatusCode}");
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var translator = adapter.CreateStreamTranslator(attempt);
        var output = new ArrayBufferWriter<byte>();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(), Encoding.UTF8);
        var name = "";
        var data = new StringBuilder();
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.Length == 0)
            {
                if (data.Length > 0)
                {
                    translator.OnEvent(Encoding.UTF8.GetBytes(name), Encoding.UTF8.GetBytes(data.ToString()), output);
                }
                name = "";
                data.Clear();
            }
            else if (line.StartsWith("event:", StringComparison.Ordinal))
            {
                name = line["event:".Length..].Trim();
            }
            else if (line.StartsWith("data:", StringComparison.Ordinal))
            {
                data.Append(line["data:".Length..].TrimStart());
            }
        }
        if (translator.Completed)
        {
            translator.Complete(output);
        }
        return (translator, Encoding.UTF8.GetString(output.WrittenSpan));
    }

    public static JsonElement Message(TranslatedCompletion completion) =>
        JsonDocument.Parse(completion.Body).RootElement.GetProperty("choices")[0].GetProperty("message").Clone();
}
