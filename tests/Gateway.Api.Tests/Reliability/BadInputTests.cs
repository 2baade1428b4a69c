using System.Diagnostics;
using System.Net.Http.Headers;
using Switchboard.Gateway.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Switchboard.Gateway.Tests.Reliability;

/// <summary>
/// The bad-input corpus and a seeded fuzz pass, over raw HTTP, against the gateway on Kestrel (loopback) in front of
/// Provider.Simulator (one provider of each type): every input is answered with a 4xx in the OpenAI error shape (or
/// passed on and answered), never a 5xx, and memory stays bounded.
/// </summary>
[Collection(MemoryBoundCollection.Name)]
public sealed class BadInputTests(SimulatorFixture sim, ITestOutputHelper output) : IAsyncLifetime
{
    private const int MaxBodyBytes = 64 * 1024;
    private GatewayFactory _gateway = null!;
    private int _port;

    public async Task InitializeAsync()
    {
        var openai = await sim.NewProviderAsync("openai");
        var anthropic = await sim.NewProviderAsync("anthropic");
        var gemini = await sim.NewProviderAsync("gemini");
        var doc = new RoutingJson()
            .Provider(openai, "openai", sim.ProviderBaseUrl(openai, "openai"), "sim-key")
            .Provider(anthropic, "anthropic", sim.ProviderBaseUrl(anthropic, "anthropic"), "sim-key")
            .Provider(gemini, "gemini", sim.ProviderBaseUrl(gemini, "gemini"), "sim-key")
            .Route("chat", [(openai, "gpt-4o-2024-08-06")], maxAttempts: 1)
            .Route("anth", [(anthropic, "claude-3-5-sonnet-20241022")], maxAttempts: 1)
            .Route("gem", [(gemini, "gemini-2.0-flash-001")], maxAttempts: 1)
            .Key("reliability", BadInputCorpus.Key);
        _gateway = new GatewayFactory(doc.ToString(), new() { ["Switchboard:Gateway:MaxRequestBodyBytes"] = MaxBodyBytes.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        using var http = _gateway.Http();
        _port = http.BaseAddress!.Port;
    }

    public Task DisposeAsync()
    {
        _gateway.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Every_bad_input_of_the_corpus_is_a_4xx_in_the_OpenAI_shape_and_never_a_5xx()
    {
        var corpus = BadInputCorpus.Build(MaxBodyBytes);
        var before = Settle();
        using var peak = new MemoryPeak();
        var failures = new List<string>();
        int shaped4xx = 0, passedOn = 0, transport = 0;
        foreach (var input in corpus)
        {
            var response = await RawHttp.SendAsync(_port, input.Request, TimeSpan.FromSeconds(30));
            if (ErrorShape.Judge(input, response) is { } why)
            {
                failures.Add($"{input.Name}: {why}");
                continue;
            }
            if (response.Status is >= 400 and < 500 && ErrorShape.IsOpenAIError(response.Body))
            {
                shaped4xx++;
            }
            else if (response.Status is >= 200 and < 300)
            {
                passedOn++;
            }
            else
            {
                transport++;
            }
        }
        var after = Settle();
        output.WriteLine($"bad-input corpus: {corpus.Count} inputs; {shaped4xx} answered 4xx in the OpenAI shape; {passedOn} valid enough to be answered 2xx; " +
            $"{transport} refused by Kestrel before the application (bare 4xx or closed); {failures.Count} broke the rules; " +
            $"managed heap {before / 1048576.0:F1} -> {after / 1048576.0:F1} MiB (peak {peak.PeakManaged / 1048576.0:F1} MiB)");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.True(after - before < 64L * 1024 * 1024, $"the managed heap grew by {(after - before) / 1048576.0:F1} MiB");
    }

    [Fact]
    public async Task A_seeded_fuzz_pass_over_the_request_parser_never_gets_a_5xx()
    {
        const int Cases = 5000;
        const int Seed = 20_261_126;
        var mutator = new RequestMutator(Seed);
        var inputs = Enumerable.Range(0, Cases).Select(_ => mutator.Next(BadInputCorpus.Routes)).ToArray();
        using var http = _gateway.Http();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", BadInputCorpus.Key);
        var before = Settle();
        using var peak = new MemoryPeak();
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var statuses = new System.Collections.Concurrent.ConcurrentDictionary<int, int>();
        var next = -1;
        var upstreamFailed = 0;
        var clock = Stopwatch.StartNew();
        var budget = TimeSpan.FromSeconds(50);
        async Task Worker()
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < inputs.Length && clock.Elapsed < budget)
            {
                using var content = new ByteArrayContent(inputs[i]);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                using var response = await http.PostAsync(BadInputCorpus.Path, content);
                var body = await response.Content.ReadAsByteArrayAsync();
                var status = (int)response.StatusCode;
                statuses.AddOrUpdate(status, 1, static (_, n) => n + 1);
                if (status is 502 or 504 && ErrorShape.IsOpenAIError(body) && !System.Text.Encoding.UTF8.GetString(body).Contains("gateway error", StringComparison.Ordinal))
                {
                    // The simulator itself failed on input it should have refused: the gateway's answer (502) is right.
                    Interlocked.Increment(ref upstreamFailed);
                }
                else if (status >= 500 || (status >= 400 && !ErrorShape.IsOpenAIError(body)))
                {
                    failures.Enqueue($"case {i} (seed {Seed}): {status} {ErrorShape.Short(System.Text.Encoding.UTF8.GetString(body))}\n  request: {ErrorShape.Short(System.Text.Encoding.UTF8.GetString(inputs[i]))}");
                }
            }
        }
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Worker()));
        var tried = statuses.Values.Sum();
        var after = Settle();
        output.WriteLine($"fuzz: {tried} mutated requests in {clock.Elapsed.TotalSeconds:F1} s; statuses {string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}: {s.Value}"))}; " +
            $"{upstreamFailed} were 502s because the simulator itself failed (5xx) on them; {failures.Count} broke the rules; managed heap {before / 1048576.0:F1} -> {after / 1048576.0:F1} MiB (peak {peak.PeakManaged / 1048576.0:F1} MiB)");
        Assert.True(failures.IsEmpty, string.Join("\n", failures.Take(20)));
        Assert.True(tried >= 500, $"only {tried} cases ran in the time budget");
        Assert.True(after - before < 64L * 1024 * 1024, $"the managed heap grew by {(after - before) / 1048576.0:F1} MiB");
    }

    private static long Settle()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
