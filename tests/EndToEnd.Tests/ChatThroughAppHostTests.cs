using System.ClientModel;
using System.Net.Http.Headers;
using System.Text.Json;
using OpenAI;
using OpenAI.Chat;

namespace Switchboard.EndToEnd.Tests;

/// <summary>
/// A user's first minute: the app host is up, an OpenAI SDK client points at the gateway, and the answer
/// (from the simulator) shows up in Metrics.Service's request log and in Router.Worker's health.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class ChatThroughAppHostTests(AppHostFixture fixture)
{
    [Fact]
    public async Task Official_OpenAI_client_gets_answers_through_the_gateway_and_they_reach_metrics_and_router()
    {
        using var gatewayHttp = fixture.App.CreateHttpClient("gateway");
        var client = new ChatClient("chat", new ApiKeyCredential("no-key-needed-locally"),
            new OpenAIClientOptions { Endpoint = new Uri(gatewayHttp.BaseAddress!, "/v1") });

        var result = await client.CompleteChatAsync([new UserChatMessage("Say hello.")]);
        ChatCompletion completion = result.Value;
        // The provider that answered (the route may skip one the router's probes found down while the app started).
        Assert.True(result.GetRawResponse().Headers.TryGetValue("x-switchboard-provider", out var provider));
        Assert.False(string.IsNullOrWhiteSpace(completion.Content[0].Text));
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        Assert.True(completion.Usage.OutputTokenCount > 0);

        var streamed = new System.Text.StringBuilder();
        await foreach (var update in client.CompleteChatStreamingAsync([new UserChatMessage("Stream a hello.")]))
        {
            foreach (var part in update.ContentUpdate)
            {
                streamed.Append(part.Text);
            }
        }
        Assert.NotEqual(0, streamed.Length);

        // Both consumers of the outcomes stream are polled at once: Router.Worker's requestsPerMin covers the last
        // minute only, so waiting for Metrics.Service first could let the traffic age out of it before it was looked at.
        var sent = DateTimeOffset.UtcNow;
        await Task.WhenAll(MetricsRecordedAsync(sent), RouterHealthShowsTrafficAsync(provider!));
    }

    private async Task MetricsRecordedAsync(DateTimeOffset sent)
    {
        using var metrics = fixture.App.CreateHttpClient("metrics");
        metrics.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AppHostFixture.AdminKey);
        var from = sent.AddMinutes(-10).ToString("O");
        var deadline = DateTime.UtcNow.AddSeconds(60);
        var rows = 0;
        while (DateTime.UtcNow < deadline)
        {
            using var doc = JsonDocument.Parse(await metrics.GetStringAsync($"/api/requests?from={Uri.EscapeDataString(from)}&limit=100"));
            rows = doc.RootElement.ValueKind == JsonValueKind.Array ? doc.RootElement.GetArrayLength()
                : doc.RootElement.GetProperty("items").GetArrayLength();
            if (rows >= 2) break;
            await Task.Delay(500);
        }
        Assert.True(rows >= 2, $"metrics recorded {rows} request rows");
    }

    /// <summary>Router.Worker's health (GET /api/health, the contract's shape) counts the requests the provider answered.</summary>
    private async Task RouterHealthShowsTrafficAsync(string provider)
    {
        using var router = fixture.App.CreateHttpClient("router");
        router.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AppHostFixture.AdminKey);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var openAiSeen = false;
        var body = "";
        while (watch.Elapsed < TimeSpan.FromSeconds(50) && !openAiSeen)
        {
            body = await router.GetStringAsync("/api/health");
            using var health = JsonDocument.Parse(body);
            openAiSeen = health.RootElement.EnumerateArray().Any(d => d.GetProperty("provider").GetString() == provider
                && d.GetProperty("requestsPerMin").GetDouble() > 0);
            if (!openAiSeen) await Task.Delay(250);
        }
        Assert.True(openAiSeen, $"router health shows no traffic for the {provider} deployment after {watch.Elapsed.TotalSeconds:0} s: {body}\n{await StreamStateAsync()}");
    }

    /// <summary>The outcomes stream and its consumer groups, for a failure message.</summary>
    private async Task<string> StreamStateAsync()
    {
        await using var mux = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(fixture.Redis.ConnectionString);
        var db = mux.GetDatabase();
        var groups = await db.StreamGroupInfoAsync("outcomes");
        return $"stream length {await db.StreamLengthAsync("outcomes")}; groups: " + string.Join("; ", groups.Select(g =>
            $"{g.Name} consumers {g.ConsumerCount} pending {g.PendingMessageCount} last-delivered {g.LastDeliveredId} lag {g.Lag}"))
            + $"; leader {await db.StringGetAsync("switchboard:router:leader")}";
    }

    [Fact]
    public async Task Admin_api_refuses_calls_without_the_admin_key()
    {
        using var metrics = fixture.App.CreateHttpClient("metrics");
        using var router = fixture.App.CreateHttpClient("router");
        using var m = await metrics.GetAsync("/api/sla");
        using var r = await router.GetAsync("/api/health");
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, m.StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, r.StatusCode);
    }
}
