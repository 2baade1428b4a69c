using System.ClientModel;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using OpenAI;
using OpenAI.Chat;
using Switchboard.Admin.Clients;
using Switchboard.Admin.Tests.Fakes;
using Switchboard.Testing.Stack;

namespace Switchboard.Admin.Tests.Browser;

/// <summary>
/// The real services (tests/TestInfrastructure/Stack: Redis, a private PostgreSQL, Provider.Simulator, Metrics.Service,
/// Router.Worker and two gateways, each its own process) with Admin.Web in front of the stack's Router.Worker and
/// Metrics.Service, and real traffic sent through both gateways with the OpenAI SDK before any test runs.
/// The stack's document gets a second provider (<c>deepseek</c>, its own route <c>fast</c>, a quarter of its attempts
/// answered 503 so retries, errors and 5xx rows exist; DeepSeek names its models without a date, hence allowFloating) and an SLO on <c>chat</c>: written to the <c>--config</c> file
/// Metrics.Service reads its objectives from, and published through Router.Worker as the gateways' version 1.
/// A cascade route <c>triage</c> (deepseek first, then the first provider) and a canary prompt Router.Worker runs on
/// every deployment every few seconds, so the overview's cascade tiers carry the canary quality the real Router.Worker
/// measured and Metrics.Service read from its health snapshot.
/// </summary>
public sealed class StackFixture : BrowserHost
{
    public const string Second = "deepseek";
    public const string SecondModel = "deepseek-chat";
    public const int RequestsPerRoute = 24;
    public const string Cascade = "triage";

    private readonly List<string> _log = [];

    public SwitchboardStack Stack { get; private set; } = default!;
    public RouterClient Router { get; private set; } = default!;
    public MetricsClient Metrics { get; private set; } = default!;
    public Uri Gateway => new(Stack.Gateways[0].BaseAddress, "/v1");

    /// <summary>Requests on <c>fast</c> that needed a second attempt (the first answered 503), by request id.</summary>
    public IReadOnlyList<string> RetriedRequests { get; private set; } = [];

    public override string AdminKey => SwitchboardStack.AdminKey;

    protected override async Task StartBackendAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var ct = timeout.Token;
        Stack = await SwitchboardStack.StartAsync(Log, ct);
        try
        {
            await StartAdminAndTrafficAsync(ct);
        }
        catch (Exception ex)
        {
            throw new InvalidOperationException($"the stack did not come up with traffic: {ex.Message}\n{string.Join("\n", _log)}\n{Stack.Tails()}", ex);
        }
    }

    private async Task StartAdminAndTrafficAsync(CancellationToken ct)
    {
        using (var sim = new HttpClient { BaseAddress = Stack.Simulator.BaseAddress })
        {
            var profile = new { type = "openai", ttftMs = new { p50 = 5, p99 = 40 }, tokensPerSecond = 400, outputTokens = 12, failureRate = 0.25, failureStatus = 503 };
            (await sim.PutAsJsonAsync($"/_sim/providers/{Second}", profile, ct)).EnsureSuccessStatusCode();
        }
        var document = Document(Stack.Simulator.Port, Stack.KeyFile);
        await File.WriteAllTextAsync(Stack.Scratch.File("routing.json"), document, ct);

        App = new AdminWebFactory(AdminKey, Stack.Metrics.BaseAddress.ToString(), Stack.Router.BaseAddress.ToString(), Stack.Gateways[0].BaseAddress.ToString());
        BaseUrl = App.StartKestrel();
        Router = App.Services.GetRequiredService<RouterClient>();
        Metrics = App.Services.GetRequiredService<MetricsClient>();

        var published = await Router.PublishRoutingAsync(document, "second provider and an SLO for the admin tests", ct);
        Assert.True(published.Version is not null, "publish refused: " + string.Join("; ", published.Errors));
        Log($"published routing version {published.Version!.Version}");

        // Gateways pick the published version up through Redis: wait until the new route answers on both.
        foreach (var gateway in Stack.Gateways)
        {
            await UntilAsync(async () =>
            {
                try
                {
                    await Client(gateway.BaseAddress, "fast").CompleteChatAsync(["ping"], cancellationToken: ct);
                    return true;
                }
                catch (ClientResultException)
                {
                    return false;
                }
            }, TimeSpan.FromSeconds(30), $"{gateway.Name} serves route fast", ct);
        }
        await SendTrafficAsync(ct);
        await SendCascadeTrafficAsync(ct);
    }

    /// <summary>Requests on the cascade route, then waits until Metrics.Service reports a tier with canary quality.</summary>
    private async Task SendCascadeTrafficAsync(CancellationToken ct)
    {
        for (var i = 0; i < 8; i++)
        {
            try
            {
                await Client(Stack.Gateways[i % Stack.Gateways.Count].BaseAddress, Cascade).CompleteChatAsync([new UserChatMessage($"is {i} even? yes or no")], cancellationToken: ct);
            }
            catch (ClientResultException ex) when (ex.Status >= 500)
            {
                // deepseek's 503s can end a request too.
            }
        }
        await UntilAsync(async () =>
        {
            var rows = await Metrics.GetCascadeAsync(TimeWindow.Last(TimeSpan.FromHours(1), TimeProvider.System), ct);
            return rows.Any(r => r.Route == Cascade && r.Tiers.Any(t => t.Quality is { CanaryRuns: > 0 }));
        }, TimeSpan.FromSeconds(60), "Metrics.Service reports the cascade tiers' canary quality", ct);
        Log("cascade traffic counted with canary quality");
    }

    private async Task SendTrafficAsync(CancellationToken ct)
    {
        var retried = new List<string>();
        var sent = 0;
        for (var i = 0; i < RequestsPerRoute; i++)
        {
            var gateway = Stack.Gateways[i % Stack.Gateways.Count].BaseAddress;
            foreach (var route in new[] { "chat", "fast" })
            {
                var client = Client(gateway, route);
                try
                {
                    if (i % 4 == 0)
                    {
                        await foreach (var _ in client.CompleteChatStreamingAsync([new UserChatMessage($"stream {i}")], cancellationToken: ct))
                        {
                        }
                    }
                    else
                    {
                        var answer = await client.CompleteChatAsync([new UserChatMessage($"hello {i}")], cancellationToken: ct);
                        var headers = answer.GetRawResponse().Headers;
                        if (headers.TryGetValue("x-switchboard-attempts", out var attempts) && attempts != "1"
                            && headers.TryGetValue("x-request-id", out var id) && id is not null)
                        {
                            retried.Add(id);
                        }
                    }
                }
                catch (ClientResultException ex) when (ex.Status >= 500)
                {
                    // Both attempts of a fast request can meet a 503: the client sees an error, as it would in production.
                }
                sent++;
            }
        }
        RetriedRequests = retried;
        Log($"sent {sent} requests through the gateways, {retried.Count} of them retried");

        // Metrics.Service ingests from the Redis stream in batches: wait until both providers' requests are counted.
        await UntilAsync(async () =>
        {
            var sla = await Metrics.GetSlaAsync(TimeWindow.Last(TimeSpan.FromHours(1), TimeProvider.System), "route", ct);
            return sla.Where(r => r.Group is "chat" or "fast").Sum(r => r.Requests) >= 2 * RequestsPerRoute + Stack.Gateways.Count;
        }, TimeSpan.FromSeconds(60), "Metrics.Service counts the traffic", ct);
    }

    /// <summary>An OpenAI SDK chat client for <paramref name="model"/> through a gateway, with the stack's gateway key.</summary>
    public static ChatClient Client(Uri gateway, string model, string key = SwitchboardStack.GatewayKey) =>
        new(model, new ApiKeyCredential(key), new OpenAIClientOptions
        {
            Endpoint = new Uri(gateway, "/v1"),
            NetworkTimeout = TimeSpan.FromSeconds(30),
            RetryPolicy = new System.ClientModel.Primitives.ClientRetryPolicy(maxRetries: 0),
        });

    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what, CancellationToken ct = default)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"timed out after {timeout.TotalSeconds:0} s waiting until {what}");
            }
            await Task.Delay(250, ct);
        }
    }

    private static string Document(int simulatorPort, string keyFile) => $$"""
        {
          "providers": {
            "{{SwitchboardStack.Provider}}": { "type": "openai", "baseUrl": "http://127.0.0.1:{{simulatorPort}}/{{SwitchboardStack.Provider}}/v1", "apiKey": "file:{{keyFile}}" },
            "{{Second}}": { "type": "openai", "baseUrl": "http://127.0.0.1:{{simulatorPort}}/{{Second}}/v1", "apiKey": "sk-deepseek-admin-tests" }
          },
          "routes": {
            "chat": {
              "strategy": "priority",
              "targets": [ { "provider": "{{SwitchboardStack.Provider}}", "model": "{{SwitchboardStack.Model}}" } ],
              "attemptTimeoutMs": 20000,
              "maxAttempts": 3,
              "slo": { "availability": 0.99, "p95Ms": 2000 }
            },
            "fast": {
              "targets": [ { "provider": "{{Second}}", "model": "{{SecondModel}}", "allowFloating": true } ],
              "attemptTimeoutMs": 20000,
              "maxAttempts": 2
            },
            "{{Cascade}}": {
              "strategy": "cascade", "scorer": "schema", "minConfidence": 0.5, "allowedAnswers": [ "yes", "no" ],
              "targets": [ { "provider": "{{Second}}", "model": "{{SecondModel}}", "allowFloating": true },
                           { "provider": "{{SwitchboardStack.Provider}}", "model": "{{SwitchboardStack.Model}}" } ],
              "attemptTimeoutMs": 20000,
              "maxAttempts": 2
            }
          },
          "monitoring": {
            "canaryIntervalSeconds": 2,
            "canaries": [ { "name": "answers", "prompt": "Say anything.", "match": "regex", "expected": "\\S" } ]
          },
          "keys": [ { "name": "faults", "key": "env:FAULTS_GATEWAY_KEY" } ]
        }
        """;

    private void Log(string line)
    {
        lock (_log)
        {
            _log.Add($"{DateTime.UtcNow:HH:mm:ss.fff} {line}");
        }
    }

    protected override async Task StopBackendAsync()
    {
        if (Stack is not null)
        {
            await Stack.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class StackCollection : ICollectionFixture<StackFixture>
{
    public const string Name = "stack";
}
