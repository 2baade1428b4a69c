using System.Net;
using System.Text.Json.Nodes;
using Bunit;
using Switchboard.Admin.Components.Pages.Keys;

namespace Switchboard.Admin.Tests.Components;

public sealed class KeysTests : AdminComponentTest
{
    public KeysTests()
    {
        Http.On("GET /api/keys", """[{"name":"team-a","models":["chat"],"requestsPerMinute":600,"budgetUsd":10,"createdAt":"2026-03-01T00:00:00Z","revoked":false}]""")
            .On("GET /api/cost", """[{"group":"team-a","costUsd":9.5,"requests":100}]""");
    }

    [Fact]
    public void Spend_is_shown_against_the_budget_since_the_oldest_key()
    {
        var cut = Render<Keys>();

        cut.WaitForAssertion(() =>
        {
            var row = cut.Find("table[aria-label='Gateway keys'] tbody tr").TextContent;
            Assert.Contains("$9.50 / $10.00", row, StringComparison.Ordinal);
            Assert.Contains("600 req/min", row, StringComparison.Ordinal);
        });
        Assert.Equal("2026-03-01T00:00:00.0000000Z", LastQuery("GET /api/cost", "from"));
        Assert.Equal("key", LastQuery("GET /api/cost", "groupBy"));
    }

    [Fact]
    public void The_gateways_ledger_spend_wins_over_the_request_log_and_holds_are_shown()
    {
        Http.On("GET /api/keys", """[{"name":"team-a","budgetUsd":10,"createdAt":"2026-03-01T00:00:00Z","revoked":false,"spentUsd":4.25,"reservedUsd":0.5}]""");
        var cut = Render<Keys>();

        cut.WaitForAssertion(() =>
        {
            var row = cut.Find("table[aria-label='Gateway keys'] tbody tr").TextContent;
            Assert.Contains("$4.25 / $10.00", row, StringComparison.Ordinal);
            Assert.Contains("$0.5000 held by requests in flight", row, StringComparison.Ordinal);
        });
    }

    [Fact]
    public void A_new_key_is_shown_once_and_its_limits_are_sent()
    {
        Http.On("POST /api/keys", """{"name":"ci","key":"sk-sb-secret-shown-once"}""", HttpStatusCode.Created);
        var cut = Render<Keys>();
        cut.WaitForAssertion(() => Assert.Contains("team-a", cut.Markup, StringComparison.Ordinal));

        cut.Find("#key-name").Change("ci");
        cut.Find("#key-models").Change("chat, anthropic/*");
        cut.Find("#key-rpm").Change("60");
        cut.Find("form").Submit();

        cut.WaitForAssertion(() => Assert.Equal("sk-sb-secret-shown-once", cut.Find("[data-testid=new-key]").TextContent));
        var body = JsonNode.Parse(Http.Requests.Single(r => r.Method == "POST").Body!)!;
        Assert.Equal("ci", (string?)body["name"]);
        Assert.Equal(["chat", "anthropic/*"], body["models"]!.AsArray().Select(m => (string?)m));
        Assert.Equal(60, (int)body["requestsPerMinute"]!);
        Assert.Null(body["budgetUsd"]);

        // Closing the notice drops the key from the page for good.
        cut.Find(".mud-alert-close button, .mud-alert button").Click();
        Assert.DoesNotContain("sk-sb-secret-shown-once", cut.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public void A_name_with_spaces_is_refused_before_calling_the_router()
    {
        var cut = Render<Keys>();
        cut.WaitForAssertion(() => Assert.Contains("team-a", cut.Markup, StringComparison.Ordinal));

        cut.Find("#key-name").Change("my key");
        cut.Find("form").Submit();

        cut.WaitForAssertion(() => Assert.Contains("Use 1 to 64 letters", cut.Markup, StringComparison.Ordinal));
        Assert.Equal(0, Http.Count("POST /api/keys"));
    }

    [Fact]
    public void Revoking_asks_for_confirmation_then_deletes_the_key()
    {
        Http.On("DELETE /api/keys/team-a", "", HttpStatusCode.NoContent);
        var cut = Render<Keys>();
        cut.WaitForAssertion(() => Assert.Contains("team-a", cut.Markup, StringComparison.Ordinal));

        cut.Find("button[aria-label='Revoke key team-a']").Click();
        Assert.Equal(0, Http.Count("DELETE"));
        cut.FindAll("button").Single(b => b.TextContent.Trim() == "Confirm revoke").Click();

        cut.WaitForAssertion(() => Assert.Equal(1, Http.Count("DELETE /api/keys/team-a")));
    }
}
