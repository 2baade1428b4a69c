using System.Net.Http.Json;
using Switchboard.Contracts.Redis;
using Switchboard.Metrics.Tests.Infrastructure;

namespace Switchboard.Metrics.Tests.Slo;

public sealed class PublishedRoutingFixture : MetricsServiceFixture
{
    // The baseline (the --config document) declares no SLO at all.
    private const string Baseline = """
        {
          "providers": { "openai": { "type": "openai", "baseUrl": "${SIMULATOR_URL}/openai/v1" } },
          "routes": { "chat": { "targets": [ { "provider": "openai", "model": "gpt-4o-2024-08-06" } ] } }
        }
        """;

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Switchboard:RoutingJson"] = Baseline,
        ["Metrics:SloInterval"] = "00:00:00.200",
    };
}

/// <summary>An SLO added in Admin.Web's editor is published through Router.Worker into Redis: it must count without a file change.</summary>
public sealed class PublishedRoutingTests(PublishedRoutingFixture fixture) : IClassFixture<PublishedRoutingFixture>
{
    private const string Published = """
        {
          "providers": { "openai": { "type": "openai", "baseUrl": "http://127.0.0.1:1/openai/v1" } },
          "routes": { "chat": { "targets": [ { "provider": "openai", "model": "gpt-4o-2024-08-06" } ],
                                "slo": { "availability": 0.995, "p95Ms": 1500 } } }
        }
        """;

    [Fact]
    public async Task A_document_published_through_Router_Worker_overrides_the_baseline_for_slos()
    {
        Assert.Empty((await fixture.Client.GetFromJsonAsync<List<SloDto>>("/api/slo"))!);

        // What Router.Worker's publisher writes.
        await fixture.RedisDb.StringSetAsync([
            new(RedisKeys.RoutingDocument, Published),
            new(RedisKeys.RoutingVersion, "7"),
        ]);

        List<SloDto> rows = [];
        await Wait.UntilAsync(async () =>
        {
            rows = (await fixture.Client.GetFromJsonAsync<List<SloDto>>("/api/slo"))!;
            return rows.Count == 1;
        }, "the published chat SLO", timeoutSeconds: 30);
        Assert.Equal("chat", rows[0].Route);
        Assert.Equal(0.995, rows[0].Objective.Availability);
    }
}
