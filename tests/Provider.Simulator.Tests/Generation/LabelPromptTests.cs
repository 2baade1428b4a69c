using Switchboard.Simulator.Generation;

namespace Switchboard.Simulator.Tests.Generation;

/// <summary>Labelled mode carried in the prompt (what a cascade client sends through a gateway).</summary>
public sealed class LabelPromptTests
{
    [Fact]
    public void The_marker_in_the_last_user_message_names_the_item_labels_and_right_answer()
    {
        var label = LabelPrompt.Parse("Classify review 7. [[sim-label item=r7 labels=positive,negative answer=negative]]", null);

        Assert.NotNull(label);
        Assert.Equal("r7", label.Item);
        Assert.Equal(["positive", "negative"], label.Labels);
        Assert.Equal("negative", label.Correct);
        Assert.Null(label.Seed);
    }

    [Theory]
    [InlineData("")]
    [InlineData("no marker here")]
    [InlineData("[[sim-label item=r1]]")]
    public void Text_without_a_whole_marker_is_not_labelled(string text)
    {
        Assert.Null(LabelPrompt.Parse(text, null));
    }

    [Theory]
    [InlineData("positive", "yes")]
    [InlineData("Positive.", "yes")]
    [InlineData("negative", "no")]
    public void A_verifier_prompt_asks_whether_the_proposed_answer_is_the_right_label(string proposed, string verdict)
    {
        var prompt = $"Check an answer.\n\nuser: Classify. [[sim-label item=r9 labels=positive,negative answer=positive]]\n\nProposed answer: {proposed}\n\nIs it correct? yes or no.";

        var label = LabelPrompt.Parse(prompt, null);

        Assert.NotNull(label);
        Assert.Equal(["yes", "no"], label.Labels);
        Assert.Equal(verdict, label.Correct);
    }

    [Fact]
    public void Another_seed_draws_an_independent_sample_of_the_same_item()
    {
        var request = new LabelRequest("x", ["a", "b", "c", "d"], "a");
        var differ = 0;
        for (var i = 0; i < 400; i++)
        {
            var item = request with { Item = $"item{i}" };
            var first = LabelOracle.Decide(42, item, 0.5);
            Assert.Equal(first, LabelOracle.Decide(42, item, 0.5));
            if (first.Label != LabelOracle.Decide(42, item with { Seed = 1 }, 0.5).Label)
            {
                differ++;
            }
        }
        // Independent samples at accuracy 0.5 over four labels differ in about 2/3 of items; identical ones never.
        Assert.InRange(differ, 150, 350);
    }
}
