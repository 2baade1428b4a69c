using Switchboard.Contracts.Routing;
using Switchboard.Router.Quality;

namespace Switchboard.Router.Tests.Quality;

public sealed class CanaryMatcherTests
{
    private readonly CanaryMatcher _matcher = new();

    private static CanaryConfig Canary(string match, string expected) => new() { Name = "c", Prompt = "p", Match = match, Expected = expected };

    [Theory]
    [InlineData("exact", "4", " 4 ", true)]
    [InlineData("exact", "4", "4.", false)]
    [InlineData("contains", "paris", "The capital is Paris.", true)]
    [InlineData("contains", "paris", "Lyon", false)]
    [InlineData("regex", "^\\d{3}-\\d{4}$", "555-1234", true)]
    [InlineData("regex", "^\\d{3}-\\d{4}$", "call 555-1234", false)]
    [InlineData("regex", "([", "anything", false)]
    [InlineData("unknown", "x", "x", false)]
    public void Matches_TextRules(string match, string expected, string answer, bool result) =>
        Assert.Equal(result, _matcher.Matches(Canary(match, expected), answer));

    private const string Schema = """
        {"type":"object","properties":{"sentiment":{"enum":["positive","negative"]}},"required":["sentiment"]}
        """;

    [Theory]
    [InlineData("{\"sentiment\":\"positive\"}", true)]
    [InlineData("```json\n{\"sentiment\":\"negative\"}\n```", true)]
    [InlineData("{\"sentiment\":\"meh\"}", false)]
    [InlineData("{}", false)]
    [InlineData("positive", false)]
    public void Matches_JsonSchema(string answer, bool result) =>
        Assert.Equal(result, _matcher.Matches(Canary("json-schema", Schema), answer));

    [Fact]
    public void NoAnswer_NeverMatches() => Assert.False(_matcher.Matches(Canary("contains", ""), null));
}
