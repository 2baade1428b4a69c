using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Switchboard.Gateway.Tests.Infrastructure;
using Switchboard.Gateway.Tests.Limits;

namespace Switchboard.Gateway.Tests.Routing;

/// <summary>Strategies, skipping targets without headroom, cost caps and refused credentials, over real HTTP against the simulator.</summary>
[Collection(SimulatorCollection.Name)]
public sealed class StrategyTests(SimulatorFixture sim)
{
    private const string Cheap = "gpt-4o-mini-2024-07-18";
    private const string Dear = "gpt-4o-2024-08-06";

    private async Task<string> ProviderAsync(RoutingJson doc, object? profile = null)
    {
        var name = await sim.NewProviderAsync("openai", profile);
        doc.Provider(name, "openai", sim.ProviderBaseUrl(name, "openai"), "sim-key");
        return name;
    }

    internal static async Task<(HttpStatusCode Status, string Provider, string Body, HttpResponseMessage Response)> SendAsync(
        HttpClient http, string model, string? key = null, string? task = null, int maxTokens = 32, bool stream = false)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent(JsonSerializer.Serialize(new { model, max_tokens = maxTokens, stream, messages = new[] { new { role = "user", content = "hi" } } }), Encoding.UTF8, "application/json"),
        };
        if (key is not null)
        {
            request.Headers.Authorization = new("Bearer", key);
        }
        if (task is not null)
        {
            request.Headers.Add("x-switchboard-task", task);
        }
        var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        var provider = response.Headers.TryGetValues("x-switchboard-provider", out var p) ? p.First() : "";
        return (response.StatusCode, provider, body, response);
    }

    [Fact]
    public async Task Lowest_cost_sends_to_the_cheaper_target_for_this_request()
    {
        var doc = new RoutingJson();
        var dear = await ProviderAsync(doc);
        var cheap = await ProviderAsync(doc);
        doc.Route("chat", [(dear, Dear), (cheap, Cheap)], strategy: "lowest-cost");
        using var gateway = new GatewayFactory(doc.ToString());
        var http = gateway.Http();
        for (var i = 0; i < 3; i++)
        {
            var (status, provider, _, _) = await SendAsync(http, "chat");
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal(cheap, provider);
        }
        Assert.Equal(0, (await sim.StatsAsync(dear)).Requests);
    }

    [Fact]
    public async Task Lowest_latency_measures_each_target_then_prefers_the_faster()
    {
        var doc = new RoutingJson();
        // Far apart, so a loaded machine cannot make the fast one look slower.
        var slow = await ProviderAsync(doc, new { ttftMs = new { p50 = 1500, p99 = 1550 } });
        var fast = await ProviderAsync(doc);
        doc.Route("chat", [(slow, Dear), (fast, Dear)], strategy: "lowest-latency");
        using var gateway = new GatewayFactory(doc.ToString());
        var http = gateway.Http();
        var served = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            served.Add((await SendAsync(http, "chat", stream: true)).Provider);
        }
        // Unmeasured first, in document order: slow once, then fast once; from then on only fast.
        Assert.Equal([slow, fast, fast, fast, fast, fast], served);
    }

    [Fact]
    public async Task A_task_cost_cap_skips_the_dear_target_and_refuses_when_nothing_fits()
    {
        var doc = new RoutingJson();
        var dear = await ProviderAsync(doc);
        var cheap = await ProviderAsync(doc);
        doc.Route("chat", [(dear, Dear), (cheap, Cheap)]);
        // ~18 input + 32 output tokens: gpt-4o ~ 0.00037 USD, gpt-4o-mini ~ 0.00002 USD.
        var json = new Doc(doc).Task("cheap-only", "chat", maxCostUsd: 0.0001m).Task("nothing-fits", "chat", maxCostUsd: 0.000001m).ToString();
        using var gateway = new GatewayFactory(json);
        var http = gateway.Http();

        Assert.Equal(dear, (await SendAsync(http, "chat")).Provider);
        var capped = await SendAsync(http, "chat", task: "cheap-only");
        Assert.Equal(HttpStatusCode.OK, capped.Status);
        Assert.Equal(cheap, capped.Provider);

        var refused = await SendAsync(http, "chat", task: "nothing-fits");
        Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
        using var error = JsonDocument.Parse(refused.Body);
        Assert.Equal("cost_limit_exceeded", error.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.Contains("over the cap of 0.000001 USD", refused.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_provider_with_no_requests_left_is_skipped_before_it_answers_429()
    {
        var doc = new RoutingJson();
        var limited = await ProviderAsync(doc, new { requestsPerMinute = 2 });
        var backup = await ProviderAsync(doc);
        doc.Route("chat", [(limited, Dear), (backup, Dear)]);
        using var gateway = new GatewayFactory(doc.ToString());
        var http = gateway.Http();
        var served = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var (status, provider, _, _) = await SendAsync(http, "chat");
            Assert.Equal(HttpStatusCode.OK, status);
            served.Add(provider);
        }
        // The second answer said 0 requests remaining: the rest of the minute goes to the backup, no 429 seen.
        // (A minute boundary between requests can give the limited provider one more.)
        Assert.Equal([limited, limited], served.Take(2));
        Assert.Equal(0, (await sim.StatsAsync(limited)).Failed);
        Assert.True(served.Skip(2).Count(p => p == backup) >= 2);
    }

    [Fact]
    public async Task Configured_provider_limits_route_elsewhere_before_the_provider_is_asked()
    {
        var doc = new RoutingJson();
        var limited = await ProviderAsync(doc);
        var backup = await ProviderAsync(doc);
        doc.Route("chat", [(limited, Dear), (backup, Dear)]);
        var json = new Doc(doc).Provider(limited, "requestsPerMinute", 2).ToString();
        using var gateway = new GatewayFactory(json);
        var http = gateway.Http();
        var served = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            served.Add((await SendAsync(http, "chat")).Provider);
        }
        Assert.Equal([limited, limited, backup, backup], served);
    }

    [Fact]
    public async Task Max_concurrency_sends_the_overflow_to_the_next_target()
    {
        var doc = new RoutingJson();
        var slow = await ProviderAsync(doc, new { ttftMs = new { p50 = 600, p99 = 650 } });
        var backup = await ProviderAsync(doc);
        doc.Route("chat", [(slow, Dear), (backup, Dear)]);
        var json = new Doc(doc).Provider(slow, "maxConcurrency", 1).ToString();
        using var gateway = new GatewayFactory(json);
        var http = gateway.Http();
        var first = SendAsync(http, "chat");
        await Task.Delay(200);
        var second = await SendAsync(http, "chat");
        Assert.Equal(backup, second.Provider);
        Assert.Equal(slow, (await first).Provider);
        // The lease ended with the first request: the slow provider takes traffic again.
        Assert.Equal(slow, (await SendAsync(http, "chat")).Provider);
    }

    [Fact]
    public async Task A_refused_credential_fails_over_and_the_provider_is_skipped_afterwards()
    {
        var doc = new RoutingJson();
        var refusing = await ProviderAsync(doc, new { failureRate = 1.0, failureStatus = 401 });
        var backup = await ProviderAsync(doc);
        doc.Route("chat", [(refusing, Dear), (backup, Dear)]);
        using var gateway = new GatewayFactory(doc.ToString());
        var http = gateway.Http();
        for (var i = 0; i < 3; i++)
        {
            var (status, provider, _, _) = await SendAsync(http, "chat");
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal(backup, provider);
        }
        Assert.Equal(1, (await sim.StatsAsync(refusing)).Requests);
    }

    [Fact]
    public async Task A_refused_file_credential_is_re_read_and_retried_at_once()
    {
        var keyFile = Path.GetTempFileName();
        await File.WriteAllTextAsync(keyFile, "old-key");
        try
        {
            var doc = new RoutingJson();
            var provider = await sim.NewProviderAsync("openai", new { failureRate = 1.0, failureStatus = 401 });
            doc.Provider(provider, "openai", sim.ProviderBaseUrl(provider, "openai"), $"file:{keyFile}");
            var backup = await ProviderAsync(doc);
            doc.Route("chat", [(provider, Dear), (backup, Dear)], maxAttempts: 3);
            using var gateway = new GatewayFactory(doc.ToString());
            var http = gateway.Http();
            await File.WriteAllTextAsync(keyFile, "rotated-key");
            var (status, served, _, response) = await SendAsync(http, "chat");
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal(backup, served);
            // Refused, re-read (changed), tried again at once, refused again, then the backup.
            Assert.Equal("3", response.Headers.GetValues("x-switchboard-attempts").First());
            Assert.Equal(2, (await sim.StatsAsync(provider)).Requests);
        }
        finally
        {
            File.Delete(keyFile);
        }
    }

    [Fact]
    public async Task With_the_retry_budget_spent_no_hedge_is_started()
    {
        var doc = new RoutingJson();
        var slow = await ProviderAsync(doc, new { ttftMs = new { p50 = 400, p99 = 420 } });
        var fast = await ProviderAsync(doc);
        doc.Route("chat", [(slow, Dear), (fast, Dear)], firstTokenTimeoutMs: 50);
        using var budgeted = new GatewayFactory(doc.ToString(), new()
        {
            ["Switchboard:Gateway:RetryBudgetRatio"] = "0",
            ["Switchboard:Gateway:RetryBudgetMinPerWindow"] = "1",
        });
        var http = budgeted.Http();
        var first = await SendAsync(http, "chat", stream: true);
        Assert.Equal("true", first.Response.Headers.GetValues("x-switchboard-hedged").First());
        Assert.Equal(fast, first.Provider);
        var second = await SendAsync(http, "chat", stream: true);
        Assert.Equal("false", second.Response.Headers.GetValues("x-switchboard-hedged").First());
        Assert.Equal(slow, second.Provider);
    }
}
