using System.Text.Json;
using Switchboard.Simulator.Behaviour;
using Switchboard.Simulator.Generation;
using Switchboard.Simulator.OpenAi;

namespace Switchboard.Simulator.Tests.Generation;

public sealed class GenerationTests
{
    [Theory]
    [InlineData("Hello world.")]
    [InlineData("""{"answer": "a b", "n": 12}""")]
    [InlineData("  two  spaces\nnew line")]
    [InlineData("")]
    public void Pieces_concatenate_back_to_the_text(string text)
    {
        Assert.Equal(text, string.Concat(PieceTokenizer.Split(text)));
    }

    [Fact]
    public void Pieces_are_words_with_one_leading_space()
    {
        Assert.Equal(["Hello", " big", " world", "."], PieceTokenizer.Split("Hello big world."));
    }

    [Fact]
    public void Schema_sample_fills_required_properties_enums_nested_objects_arrays_and_refs()
    {
        using var schema = JsonDocument.Parse("""
            {"type":"object","required":["name","kind","address","tags","count","ok","ref"],
             "properties":{"name":{"type":"string"},"kind":{"enum":["a","b"]},"optional":{"type":"string"},
               "address":{"type":"object","properties":{"city":{"type":["string","null"]}}},
               "tags":{"type":"array","items":{"type":"string"}},"count":{"type":"integer","minimum":5},"ok":{"type":"boolean"},
               "ref":{"$ref":"#/$defs/thing"}},
             "$defs":{"thing":{"type":"object","properties":{"id":{"type":"string","format":"uuid"}},"required":["id"]}}}
            """);
        var random = new SimRandom(1);

        using var sample = JsonDocument.Parse(SchemaSampler.Sample(schema.RootElement, ref random));

        var root = sample.RootElement;
        Assert.Equal(JsonValueKind.String, root.GetProperty("name").ValueKind);
        Assert.Equal("a", root.GetProperty("kind").GetString());
        Assert.False(root.TryGetProperty("optional", out _));
        Assert.Equal(JsonValueKind.String, root.GetProperty("address").GetProperty("city").ValueKind);
        Assert.Equal(JsonValueKind.String, root.GetProperty("tags")[0].ValueKind);
        Assert.True(root.GetProperty("count").GetInt32() >= 5);
        Assert.True(root.GetProperty("ok").GetBoolean());
        Assert.Equal("00000000-0000-4000-8000-000000000000", root.GetProperty("ref").GetProperty("id").GetString());
    }

    [Fact]
    public void Gemini_upper_case_types_are_understood()
    {
        using var schema = JsonDocument.Parse("""{"type":"OBJECT","properties":{"n":{"type":"INTEGER"}},"required":["n"]}""");
        var random = new SimRandom(1);

        using var sample = JsonDocument.Parse(SchemaSampler.Sample(schema.RootElement, ref random));

        Assert.Equal(JsonValueKind.Number, sample.RootElement.GetProperty("n").ValueKind);
    }

    [Theory]
    [InlineData(12, "12ms")]
    [InlineData(1500, "1.5s")]
    [InlineData(59_000, "59s")]
    [InlineData(360_000, "6m0s")]
    public void Reset_durations_are_written_like_openais(int milliseconds, string expected)
    {
        Assert.Equal(expected, OpenAiDialect.GoDuration(TimeSpan.FromMilliseconds(milliseconds)));
    }

    [Fact]
    public void Prompt_tokens_follow_the_documented_rule()
    {
        var prompt = new PromptMeasure();
        prompt.AddMessage();
        prompt.AddText("12345");
        prompt.AddMessage();
        prompt.AddText("abc");
        prompt.ToolCharacters = 9;

        // ceil(8 / 4) + 4 * 2 + ceil(9 / 4)
        Assert.Equal(2 + 8 + 3, prompt.Tokens);
    }

    [Fact]
    public void Label_oracle_is_repeatable_and_its_confidence_separates_right_from_wrong()
    {
        var labels = new LabelRequest("x", ["yes", "no"], "yes");
        var outcomes = Enumerable.Range(0, 2000).Select(i => LabelOracle.Decide(42, labels with { Item = $"item{i}" }, 0.7)).ToArray();

        Assert.Equal(outcomes[5], LabelOracle.Decide(42, labels with { Item = "item5" }, 0.7));
        Assert.InRange(outcomes.Count(o => o.Correct) / 2000.0, 0.67, 0.73);
        Assert.True(outcomes.Where(o => o.Correct).Min(o => o.Probability) >= 0.6);
        Assert.True(outcomes.Where(o => !o.Correct).Average(o => o.Probability) < 0.6);
        Assert.All(outcomes.Where(o => !o.Correct), o => Assert.Equal("no", o.Label));
    }
}
