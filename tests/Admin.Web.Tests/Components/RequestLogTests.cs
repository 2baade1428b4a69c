using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Admin.Clients;
using Switchboard.Admin.Components.Pages.Requests;

namespace Switchboard.Admin.Tests.Components;

public sealed class RequestLogTests : AdminComponentTest
{
    private const string Attempts = """
        [{"requestId":"r1","attempt":1,"startedAt":"2026-03-14T11:58:00Z","route":"chat","provider":"openai","model":"gpt-4o","kind":"Primary","outcome":"Cancelled","winner":false,"status":200,"latencyMs":2000,"costUsd":0.001,"clientStatus":200,"clientLatencyMs":2900},
         {"requestId":"r1","attempt":2,"startedAt":"2026-03-14T11:58:02Z","route":"chat","provider":"anthropic","model":"claude","kind":"Hedge","outcome":"Success","winner":true,"status":200,"latencyMs":900,"ttftMs":350,"costUsd":0.002,"clientStatus":200,"clientLatencyMs":2900,"keyName":"team-a"}]
        """;

    [Fact]
    public void Attempts_are_summarised_per_request_by_the_attempt_that_answered()
    {
        var rows = System.Text.Json.JsonSerializer.Deserialize<IReadOnlyList<RequestRow>>(Attempts, AdminJson.Options)!;

        var summary = Assert.Single(RequestLog.Summarise(rows));

        Assert.Equal("anthropic / claude", summary.AnsweredBy);
        Assert.Equal(2, summary.Attempts);
        Assert.True(summary.Hedged);
        Assert.Equal(0.003m, summary.CostUsd);
        Assert.Equal(new DateTimeOffset(2026, 3, 14, 11, 58, 0, TimeSpan.Zero), summary.StartedAt);
    }

    [Fact]
    public void Filters_from_the_address_go_to_the_query_and_a_row_opens_its_attempts()
    {
        Http.On("GET /api/requests?", Attempts).On("GET /api/requests/r1", Attempts);
        var nav = Services.GetRequiredService<Microsoft.AspNetCore.Components.NavigationManager>();
        nav.NavigateTo("/requests?provider=anthropic&status=200&route=chat&key=team-a");

        var cut = Render<RequestLog>();

        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("table[aria-label='Requests'] tbody tr")));
        Assert.Equal("anthropic", LastQuery("GET /api/requests?", "provider"));
        Assert.Equal("200", LastQuery("GET /api/requests?", "status"));
        Assert.Equal("chat", LastQuery("GET /api/requests?", "route"));
        Assert.Equal("team-a", LastQuery("GET /api/requests?", "key"));

        cut.Find("button[aria-label='Show the attempts of request r1']").Click();

        cut.WaitForAssertion(() =>
        {
            var attempts = cut.FindAll("table[aria-label='Attempts'] tbody tr");
            Assert.Equal(2, attempts.Count);
            Assert.Contains("2000 ms", attempts[1].TextContent, StringComparison.Ordinal);
            Assert.Contains("Success (winner)", attempts[1].TextContent, StringComparison.Ordinal);
        });
    }

    [Fact]
    public void A_status_class_goes_to_the_query_as_a_class()
    {
        Http.On("GET /api/requests?", Attempts);
        var nav = Services.GetRequiredService<Microsoft.AspNetCore.Components.NavigationManager>();
        nav.NavigateTo("/requests?status=5XX");

        var cut = Render<RequestLog>();

        cut.WaitForAssertion(() => Assert.Equal("5xx", LastQuery("GET /api/requests?", "status")));
    }

    [Fact]
    public void A_status_that_is_neither_a_code_nor_a_class_is_refused_without_querying()
    {
        Http.On("GET /api/requests?", Attempts);
        var nav = Services.GetRequiredService<Microsoft.AspNetCore.Components.NavigationManager>();
        nav.NavigateTo("/requests?status=50x");

        var cut = Render<RequestLog>();

        cut.WaitForAssertion(() => Assert.Contains("'50x' is not a status: type a code such as 503 or a class such as 5xx.", cut.Markup, StringComparison.Ordinal));
        Assert.Equal(0, Http.Count("GET /api/requests"));
        Assert.Empty(cut.FindAll("table[aria-label='Requests'] tbody tr button"));
    }

    [Theory]
    [InlineData("503", true, "503")]
    [InlineData(" 4xx ", true, "4xx")]
    [InlineData("5XX", true, "5xx")]
    [InlineData("", true, null)]
    [InlineData(null, true, null)]
    [InlineData("6xx", false, null)]
    [InlineData("5x", false, null)]
    [InlineData("99", false, null)]
    [InlineData("abc", false, null)]
    public void Status_filter_takes_a_code_or_a_class(string? input, bool valid, string? expected)
    {
        Assert.Equal(valid, RequestFilter.TryStatus(input, out var normalised));
        Assert.Equal(expected, normalised);
    }

    [Fact]
    public void The_timeline_has_one_trace_per_outcome_with_the_winner_apart()
    {
        var rows = System.Text.Json.JsonSerializer.Deserialize<IReadOnlyList<RequestRow>>(Attempts, AdminJson.Options)!;

        var groups = AttemptTimeline.ByOutcome(rows);

        Assert.Equal(["cancelled", "winner"], groups.Select(g => g.Outcome));
        Assert.Equal("#2 hedge · anthropic", AttemptTimeline.Label(groups[1].Rows[0]));
    }
}
