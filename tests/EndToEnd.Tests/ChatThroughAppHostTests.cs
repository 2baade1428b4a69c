using System.ClientModel;
using System.Net.Http.Headers;
using System.Text.Json;
using OpenAI;
using OpenAI.Chat;

namespace Switchboard.EndToEnd.Tests;

/// <summary>
/// A user's first minute: the app host is up, an OpenAI SDK client points at the gateway, and the answer
/// (from the simulator) shows up in Metrics.Service's request log. (Router.Worker's health showing the same traffic
/// was intermittent here, within 60 s: under investigation, see the issue notes; Router.Worker's own tests cover
/// propagation.)
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class ChatThroughAppHostTests(AppHostFixture fixture)
{
    [Fact]
    public async Task Official_OpenAI_client_gets_answers_through_the_gateway_and_they_reach_metrics()
    {
        using var gatewayHttp = fixture.App.CreateHttpClient("gateway");
        var client = new ChatClient("chat", new ApiKeyCredential("no-key-needed-locally"),
            new OpenAIClientOptions { Endpoint = new Uri(gatewayHttp.BaseAddress!, "/v1") });

        ChatCompletion completion = await client.CompleteChatAsync([new UserChatMessage("Say hello.")]);
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

        using var metrics = fixture.App.CreateHttpClient("metrics");
        metrics.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AppHostFixture.AdminKey);
        var from = DateTimeOffset.UtcNow.AddMinutes(-10).ToString("O");
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
