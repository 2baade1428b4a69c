using System.Buffers;
using System.Text;
using System.Text.Json;
using Switchboard.Gateway.Cascades;

namespace Switchboard.Gateway.Tests.Cascades;

/// <summary>The scorers and body rewrites on recorded answer shapes (pure logic).</summary>
public sealed class ScorerTests
{
    private static CompletionAnswer Answer(string content, params (string Token, double Logprob, (string, double)[] Top)[] tokens)
    {
        var logprobs = tokens.Length == 0 ? "null" : "{\"content\":[" + string.Join(",", tokens.Select(t =>
            $"{{\"token\":{JsonSerializer.Serialize(t.Token)},\"logprob\":{t.Logprob.ToString(System.Globalization.CultureInfo.InvariantCulture)},\"top_logprobs\":[" +
            string.Join(",", t.Top.Select(a => $"{{\"token\":{JsonSerializer.Serialize(a.Item1)},\"logprob\":{a.Item2.ToString(System.Globalization.CultureInfo.InvariantCulture)}}}")) + "]}")) + "]}";
        var body = $$$"""{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":{{{JsonSerializer.Serialize(content)}}}},"logprobs":{{{logprobs}}},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6}}""";
        return CompletionAnswer.Read(Encoding.UTF8.GetBytes(body));
    }

    [Fact]
    public void Logprobs_score_of_an_allowed_label_is_its_probability()
    {
        var answer = Answer("positive", ("posi", Math.Log(0.9), []), ("tive", Math.Log(0.5), []));
        Assert.Equal(0.45, LogprobsScorer.Score(answer, ["positive", "negative"]), 6);
    }

    [Fact]
    public void Logprobs_score_of_a_label_outside_the_allowed_answers_is_zero()
    {
        Assert.Equal(0, LogprobsScorer.Score(Answer("maybe", ("maybe", -0.01, [])), ["positive", "negative"]));
    }

    [Fact]
    public void Logprobs_score_of_free_text_is_the_geometric_mean_of_token_probabilities()
    {
        var answer = Answer("a b", ("a", Math.Log(0.8), []), (" b", Math.Log(0.2), []));
        Assert.Equal(0.4, LogprobsScorer.Score(answer, null), 6);
    }

    [Fact]
    public void An_answer_without_logprobs_scores_zero()
    {
        Assert.Equal(0, LogprobsScorer.Score(Answer("positive"), ["positive"]));
    }

    [Fact]
    public void Judge_verdict_is_yes_against_no_from_the_top_alternatives()
    {
        var verdict = Answer("yes", ("yes", Math.Log(0.6), [("yes", Math.Log(0.6)), ("no", Math.Log(0.2))]));
        Assert.Equal(0.75, JudgeScorer.Verdict(verdict), 6);
        var no = Answer("No.", ("No", Math.Log(0.7), [("No", Math.Log(0.7))]));
        Assert.Equal(0.3, JudgeScorer.Verdict(no), 6);
        Assert.Equal(1, JudgeScorer.Verdict(Answer("Yes")));
        Assert.Equal(0, JudgeScorer.Verdict(Answer("I cannot tell")));
    }

    [Fact]
    public void Judge_prompt_carries_the_conversation_and_the_proposed_answer()
    {
        using var request = JsonDocument.Parse("""{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":[{"type":"text","text":"Is 2+2 4?"}]}]}""");
        var prompt = JudgeScorer.Prompt(request.RootElement, " yes ");
        Assert.Contains("system: Be brief.", prompt, StringComparison.Ordinal);
        Assert.Contains("user: Is 2+2 4?", prompt, StringComparison.Ordinal);
        Assert.Contains("Proposed answer: yes\n", prompt, StringComparison.Ordinal);
    }

    [Fact]
    public void Agreement_compares_labels_or_normalised_text()
    {
        Assert.True(AgreementScorer.Agree(Answer("Positive."), Answer("positive"), ["positive", "negative"]));
        Assert.False(AgreementScorer.Agree(Answer("neutral"), Answer("neutral"), ["positive", "negative"]));
        Assert.False(AgreementScorer.Agree(Answer("a"), Answer("b"), null));
    }

    [Theory]
    [InlineData("""{"label":"positive"}""", 1)]
    [InlineData("```json\n{\"label\":\"negative\"}\n```", 1)]
    [InlineData("""{"label":"other"}""", 0)]
    [InlineData("""{"label":""", 0)]
    public void Schema_score_is_whether_the_answer_validates(string content, double expected)
    {
        using var request = JsonDocument.Parse("""{"response_format":{"type":"json_schema","json_schema":{"name":"r","schema":{"type":"object","properties":{"label":{"enum":["positive","negative"]}},"required":["label"]}}}}""");
        Assert.Equal(expected, new SchemaScorer().Score(Answer(content), null, request.RootElement));
    }

    [Fact]
    public void Logprobs_the_client_did_not_ask_for_are_removed()
    {
        var body = Encoding.UTF8.GetBytes("""{"choices":[{"index":0,"message":{"role":"assistant","content":"x"},"logprobs":{"content":[]},"finish_reason":"stop"}]}""");
        using var stripped = JsonDocument.Parse(CascadeBodies.ForClient(body, keepLogprobs: false));
        Assert.Equal(JsonValueKind.Null, stripped.RootElement.GetProperty("choices")[0].GetProperty("logprobs").ValueKind);
        Assert.Equal(body.Length, CascadeBodies.ForClient(body, keepLogprobs: true).Length);
    }

    [Fact]
    public void A_held_answer_replays_as_chunks_with_usage_and_done()
    {
        var body = Encoding.UTF8.GetBytes("""{"id":"c1","object":"chat.completion","created":5,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"hi","tool_calls":[{"id":"call_1","type":"function","function":{"name":"f","arguments":"{}"}}]},"logprobs":null,"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}""");
        var output = new ArrayBufferWriter<byte>();
        CascadeBodies.WriteReplay(body, includeUsage: true, keepLogprobs: false, output);
        var frames = Encoding.UTF8.GetString(output.WrittenSpan).Split("\n\n", StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(4, frames.Length);
        Assert.Equal("data: [DONE]", frames[3]);
        using var first = JsonDocument.Parse(frames[0]["data: ".Length..]);
        var delta = first.RootElement.GetProperty("choices")[0].GetProperty("delta");
        Assert.Equal("chat.completion.chunk", first.RootElement.GetProperty("object").GetString());
        Assert.Equal("hi", delta.GetProperty("content").GetString());
        Assert.Equal(0, delta.GetProperty("tool_calls")[0].GetProperty("index").GetInt32());
        using var finish = JsonDocument.Parse(frames[1]["data: ".Length..]);
        Assert.Equal("tool_calls", finish.RootElement.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        using var usage = JsonDocument.Parse(frames[2]["data: ".Length..]);
        Assert.Equal(5, usage.RootElement.GetProperty("usage").GetProperty("total_tokens").GetInt32());
    }
}
