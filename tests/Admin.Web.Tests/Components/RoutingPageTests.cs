using System.Net;
using System.Text.Json.Nodes;
using Bunit;
using Switchboard.Admin.Components.Pages.Routing;

namespace Switchboard.Admin.Tests.Components;

public sealed class RoutingPageTests : AdminComponentTest
{
    private const string Document = """
        {"providers":{"openai":{"type":"openai","baseUrl":"${SIMULATOR_URL}/openai/v1","apiKey":"env:OPENAI_API_KEY"}},
         "routes":{"chat":{"strategy":"priority","targets":[{"provider":"openai","model":"gpt-4o-2024-08-06"}],"maxAttempts":3}}}
        """;

    public RoutingPageTests()
    {
        Http.On("GET /api/routing/current", $$"""{"version":3,"createdAt":"2026-03-14T10:00:00Z","author":"admin","comment":"c","document":{{Document}}}""")
            .On("GET /api/routing/versions", """[{"version":3,"comment":"c"},{"version":2,"comment":"b"}]""");
    }

    private IRenderedComponent<RoutingPage> RenderEditor(out AngleSharp.Dom.IElement editor)
    {
        var cut = Render<RoutingPage>();
        cut.WaitForAssertion(() => Assert.Contains("Version 3", cut.Markup, StringComparison.Ordinal));
        cut.FindAll(".mud-tab").Single(t => t.TextContent.Trim() == "Edit").Click();
        editor = cut.Find("#routing-editor");
        return cut;
    }

    [Fact]
    public void The_table_shows_each_route_with_its_targets_and_policy()
    {
        var cut = Render<RoutingPage>();

        cut.WaitForAssertion(() =>
        {
            var row = cut.Find("table[aria-label='Routes'] tbody tr").TextContent;
            Assert.Contains("chat", row, StringComparison.Ordinal);
            Assert.Contains("openai / gpt-4o-2024-08-06", row, StringComparison.Ordinal);
            Assert.Contains("30.0 s", row, StringComparison.Ordinal);
        });
    }

    [Fact]
    public void A_syntax_error_is_reported_with_its_place_without_asking_the_router()
    {
        var cut = RenderEditor(out var editor);

        editor.Change("{ \"routes\": { ");
        cut.FindAll("button").Single(b => b.TextContent.Trim() == "Validate").Click();

        cut.WaitForAssertion(() => Assert.StartsWith("routes:", cut.Find(".validation-errors li").TextContent, StringComparison.Ordinal));
        Assert.Equal(0, Http.Count("POST /api/routing/validate"));
    }

    [Fact]
    public void An_invalid_field_is_named_by_the_local_validator()
    {
        var cut = RenderEditor(out var editor);

        editor.Change(Document.Replace("\"priority\"", "\"fastest\"", StringComparison.Ordinal));
        cut.FindAll("button").Single(b => b.TextContent.Trim() == "Validate").Click();

        cut.WaitForAssertion(() => Assert.Contains("routes.chat.strategy", cut.Find(".validation-errors").TextContent, StringComparison.Ordinal));
    }

    [Fact]
    public void Errors_found_by_the_router_are_shown_field_by_field()
    {
        Http.On("POST /api/routing/validate", """{"valid":false,"errors":[{"field":"routes.chat.targets[0].provider","message":"unknown provider 'x'"}]}""", HttpStatusCode.BadRequest);
        var cut = RenderEditor(out var editor);

        editor.Change(Document);
        cut.FindAll("button").Single(b => b.TextContent.Trim() == "Validate").Click();

        cut.WaitForAssertion(() => Assert.Contains("routes.chat.targets[0].provider: unknown provider 'x'", cut.Find(".validation-errors").TextContent, StringComparison.Ordinal));
    }

    [Fact]
    public void Publishing_sends_the_document_as_json_with_the_comment()
    {
        Http.On("POST /api/routing/validate", """{"valid":true}""")
            .On("POST /api/routing/publish", """{"version":4}""", HttpStatusCode.Created);
        var cut = RenderEditor(out var editor);

        editor.Change(Document.Replace("\"maxAttempts\":3", "\"maxAttempts\":4", StringComparison.Ordinal));
        cut.Find("#publish-comment").Change("more attempts");
        cut.FindAll("button").Single(b => b.TextContent.Trim() == "Publish").Click();

        cut.WaitForAssertion(() => Assert.Equal(1, Http.Count("POST /api/routing/publish")));
        var body = JsonNode.Parse(Http.Requests.Single(r => r.PathAndQuery == "/api/routing/publish").Body!)!;
        Assert.Equal("more attempts", (string?)body["comment"]);
        Assert.Equal(4, (int)body["document"]!["routes"]!["chat"]!["maxAttempts"]!);
    }

    [Fact]
    public void The_diff_of_two_versions_marks_added_and_removed_lines()
    {
        var diff = RoutingText.Diff("{\n  \"a\": 1,\n  \"b\": 2\n}", "{\n  \"a\": 1,\n  \"b\": 3\n}");

        Assert.Equal([DiffKind.Same, DiffKind.Same, DiffKind.Removed, DiffKind.Added, DiffKind.Same], diff.Select(l => l.Kind));
        Assert.Equal("  \"b\": 3", diff[3].Text);
    }
}
