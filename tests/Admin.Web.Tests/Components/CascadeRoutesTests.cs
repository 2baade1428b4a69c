using Bunit;
using Switchboard.Admin.Components.Pages.Overview;

namespace Switchboard.Admin.Tests.Components;

/// <summary>The overview's cascade section, rendered from Metrics.Service's <c>GET /api/cascade</c> answer (its JSON shape).</summary>
public sealed class CascadeRoutesTests : AdminComponentTest
{
    private const string Cascade = """
        [{"route":"classify","requests":1000,"answered":990,"errors":10,"escalated":180,"escalatedShare":0.18,
          "tiers":[
            {"tier":0,"models":["qwen2.5-7b-instruct"],"answered":820,"share":0.8283,"attempts":1000,"costUsd":0.0123,"avgConfidence":0.934,
             "deployments":[{"provider":"qwen","model":"qwen2.5-7b-instruct","attempts":1000,"qualityScore":0.82,"canaryRuns":50,"canaryPassed":41}],
             "quality":{"score":0.82,"canaryRuns":50,"canaryPassed":41,"at":"2026-03-14T11:59:55Z"}},
            {"tier":1,"models":["gpt-4o-2024-08-06"],"answered":170,"share":0.1717,"attempts":180,"costUsd":0.117,"avgConfidence":null,
             "deployments":[{"provider":"openai","model":"gpt-4o-2024-08-06","attempts":180,"qualityScore":null,"canaryRuns":0,"canaryPassed":0}],
             "quality":null}],
          "costUsd":0.1293,"lastTierCostUsd":0.65,"costSavedUsd":0.5207,"savedShare":0.801,
          "lastTier":{"tier":1,"model":"gpt-4o-2024-08-06","inputPerMTok":2.5,"outputPerMTok":10,"source":"routing-document"}},
         {"route":"extract","requests":10,"answered":10,"errors":0,"escalated":1,"escalatedShare":0.1,
          "tiers":[
            {"tier":0,"models":["small"],"answered":9,"share":0.9,"attempts":10,"costUsd":0.001,"avgConfidence":0.9,
             "deployments":[{"provider":"a","model":"small","attempts":6,"qualityScore":0.9,"canaryRuns":0,"canaryPassed":0},
                            {"provider":"b","model":"small","attempts":4,"qualityScore":null,"canaryRuns":null,"canaryPassed":null}],
             "quality":{"score":0.9,"canaryRuns":0,"canaryPassed":0,"at":"2026-03-14T11:59:55Z"}},
            {"tier":1,"models":["large"],"answered":1,"share":0.1,"attempts":1,"costUsd":0.01,"avgConfidence":null}],
          "costUsd":0.011,"lastTierCostUsd":null,"costSavedUsd":null,"savedShare":null,"lastTier":null}]
        """;

    private void Answer(string cascade)
    {
        Http.On("GET /api/", "[]")
            .On("GET /api/sla?", """[{"group":"classify","requests":1000,"errors":10,"availability":0.99}]""")
            .On("GET /api/cascade", cascade);
    }

    [Fact]
    public void Each_tier_shows_its_share_cost_confidence_and_canary_quality()
    {
        Answer(Cascade);

        var cut = Render<Overview>();

        cut.WaitForAssertion(() =>
        {
            var rows = cut.FindAll("table[aria-label='Cascade tiers'] tbody tr").Select(r => r.TextContent).ToList();
            Assert.Equal(4, rows.Count);
            Assert.Contains("qwen / qwen2.5-7b-instruct", rows[0], StringComparison.Ordinal);
            Assert.Contains("820 (82.8 %)", rows[0], StringComparison.Ordinal);
            Assert.Contains("$0.0123", rows[0], StringComparison.Ordinal);
            Assert.Contains("0.93", rows[0], StringComparison.Ordinal);
            Assert.Contains("82.0 %", rows[0], StringComparison.Ordinal);
            Assert.Contains("41/50 canaries passed", rows[0], StringComparison.Ordinal);
        });
    }

    [Fact]
    public void A_tier_without_measured_quality_says_not_measured_never_zero()
    {
        Answer(Cascade);

        var cut = Render<Overview>();

        cut.WaitForAssertion(() =>
        {
            var rows = cut.FindAll("table[aria-label='Cascade tiers'] tbody tr").Select(r => r.TextContent).ToList();
            Assert.Equal(4, rows.Count);
            var quality = cut.FindAll("table[aria-label='Cascade tiers'] tbody tr td[data-label='Canary quality']").Select(td => td.TextContent.Trim()).ToList();
            // Tier 1 of classify: in the snapshot without a score. Tier 1 of extract: a Metrics.Service without the fields.
            Assert.Equal(4, quality.Count);
            Assert.Equal(("not measured", "not measured"), (quality[1], quality[3]));
            Assert.StartsWith("82.0 %", quality[0], StringComparison.Ordinal);
            Assert.StartsWith("90.0 %", quality[2], StringComparison.Ordinal);
            Assert.Contains("–", rows[1], StringComparison.Ordinal); // no confidence: the tier that answers last is not scored
            Assert.Contains("large", rows[3], StringComparison.Ordinal);
        });
    }

    [Fact]
    public void A_tier_of_several_deployments_shows_each_ones_score_and_a_score_without_canaries_says_so()
    {
        Answer(Cascade);

        var cut = Render<Overview>();

        cut.WaitForAssertion(() =>
        {
            var row = cut.FindAll("table[aria-label='Cascade tiers'] tbody tr")[2].TextContent;
            Assert.Contains("extract", row, StringComparison.Ordinal);
            Assert.Contains("a / small · 90.0 %", row, StringComparison.Ordinal);
            Assert.Contains("b / small · –", row, StringComparison.Ordinal);
            Assert.Contains("no canaries run (score from sampled answers)", row, StringComparison.Ordinal);
        });
    }

    [Fact]
    public void Without_cascade_traffic_the_section_explains_the_strategy()
    {
        Answer("[]");

        var cut = Render<Overview>();

        cut.WaitForAssertion(() =>
        {
            Assert.Contains("No cascade traffic in this window", cut.Markup, StringComparison.Ordinal);
            Assert.Empty(cut.FindAll("table[aria-label='Cascade tiers']"));
        });
    }
}
