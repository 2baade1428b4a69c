using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Switchboard.Contracts.Outcomes;
using Switchboard.Contracts.Routing;

namespace Switchboard.Router.Probes;

/// <summary>What one probe or canary request produced.</summary>
internal sealed record ProbeResponse(AttemptOutcome Outcome, int Status, ErrorClass? Error, double LatencyMs, string? Text, string? ModelReported, string? Message)
{
    public bool Success => Outcome == AttemptOutcome.Success;

    /// <summary>The upstream reported another model than the pinned one (a dated suffix of the pin is not drift).</summary>
    public bool DriftFrom(string pinned)
    {
        if (ModelReported is not { Length: > 0 } reported)
        {
            return false;
        }
        reported = reported.StartsWith("models/", StringComparison.Ordinal) ? reported[7..] : reported;
        return !reported.Equals(pinned, StringComparison.OrdinalIgnoreCase)
               && !reported.StartsWith(pinned + "-", StringComparison.OrdinalIgnoreCase);
    }
}

/// <summary>
/// The worker's own minimal clients for the three wire protocols: one small non-streaming request, the answer
/// text and the model the upstream reports. Not the gateway's adapters (services share no code), and not behind
/// a resilience handler: a probe must see the failure, not a retry of it.
/// </summary>
internal sealed class ProviderClient(HttpClient http, TimeProvider time)
{
    public async Task<ProbeResponse> SendAsync(
        ProviderConfig provider, string model, string? apiKey, string prompt, int maxTokens, TimeSpan timeout, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(provider);
        using var request = Build(provider, model, apiKey, prompt, maxTokens);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        var started = time.GetTimestamp();
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cts.Token);
            var body = await response.Content.ReadAsStringAsync(cts.Token);
            var elapsed = time.GetElapsedTime(started).TotalMilliseconds;
            var status = (int)response.StatusCode;
            if (!response.IsSuccessStatusCode)
            {
                return new(AttemptOutcome.Failure, status, Classify(response.StatusCode), elapsed, null, null, $"HTTP {status}");
            }
            return Parse(provider.Type, body, status, elapsed);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new(AttemptOutcome.Failure, 0, ErrorClass.Timeout, time.GetElapsedTime(started).TotalMilliseconds, null, null, "timed out");
        }
        catch (HttpRequestException ex)
        {
            return new(AttemptOutcome.Failure, 0, ErrorClass.Connect, time.GetElapsedTime(started).TotalMilliseconds, null, null, ex.HttpRequestError.ToString());
        }
    }

    private static HttpRequestMessage Build(ProviderConfig provider, string model, string? apiKey, string prompt, int maxTokens)
    {
        var baseUrl = provider.BaseUrl.TrimEnd('/');
        HttpRequestMessage request;
        JsonObject body;
        switch (provider.Type)
        {
            case ProviderTypes.Anthropic:
                request = new(HttpMethod.Post, $"{baseUrl}/v1/messages");
                request.Headers.Add("anthropic-version", provider.ApiVersion ?? "2023-06-01");
                if (apiKey is not null)
                {
                    request.Headers.Add("x-api-key", apiKey);
                }
                body = new JsonObject
                {
                    ["model"] = model,
                    ["max_tokens"] = maxTokens,
                    ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = prompt }),
                };
                break;
            case ProviderTypes.Gemini:
                request = new(HttpMethod.Post, $"{baseUrl}/v1beta/models/{Uri.EscapeDataString(model)}:generateContent");
                if (apiKey is not null)
                {
                    request.Headers.Add("x-goog-api-key", apiKey);
                }
                body = new JsonObject
                {
                    ["contents"] = new JsonArray(new JsonObject
                    {
                        ["role"] = "user",
                        ["parts"] = new JsonArray(new JsonObject { ["text"] = prompt }),
                    }),
                    ["generationConfig"] = new JsonObject { ["maxOutputTokens"] = maxTokens, ["temperature"] = 0 },
                };
                break;
            default:
                request = new(HttpMethod.Post, $"{baseUrl}/chat/completions");
                if (apiKey is not null)
                {
                    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
                }
                body = new JsonObject
                {
                    ["model"] = model,
                    ["max_tokens"] = maxTokens,
                    ["temperature"] = 0,
                    ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = prompt }),
                };
                break;
        }
        foreach (var (name, value) in provider.Headers ?? new Dictionary<string, string>())
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        return request;
    }

    private static ProbeResponse Parse(string type, string body, int status, double elapsed)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            string? text;
            string? model;
            switch (type)
            {
                case ProviderTypes.Anthropic:
                    text = string.Concat(root.GetProperty("content").EnumerateArray()
                        .Where(c => c.TryGetProperty("text", out _)).Select(c => c.GetProperty("text").GetString()));
                    model = root.TryGetProperty("model", out var am) ? am.GetString() : null;
                    break;
                case ProviderTypes.Gemini:
                    text = string.Concat(root.GetProperty("candidates")[0].GetProperty("content").GetProperty("parts").EnumerateArray()
                        .Where(p => p.TryGetProperty("text", out _)).Select(p => p.GetProperty("text").GetString()));
                    model = root.TryGetProperty("modelVersion", out var gm) ? gm.GetString() : null;
                    break;
                default:
                    var message = root.GetProperty("choices")[0].GetProperty("message");
                    text = message.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : "";
                    model = root.TryGetProperty("model", out var om) ? om.GetString() : null;
                    break;
            }
            return new(AttemptOutcome.Success, status, null, elapsed, text, model, null);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or IndexOutOfRangeException)
        {
            return new(AttemptOutcome.Failure, status, ErrorClass.Malformed, elapsed, null, null, "unparseable answer");
        }
    }

    private static ErrorClass Classify(HttpStatusCode status) => (int)status switch
    {
        401 or 403 => ErrorClass.Auth,
        429 => ErrorClass.RateLimited,
        408 => ErrorClass.Timeout,
        >= 500 => ErrorClass.ServerError,
        _ => ErrorClass.ClientError,
    };
}
