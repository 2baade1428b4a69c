using System.Text.Json;
using Switchboard.Contracts.Outcomes;
using Switchboard.Metrics.Ingestion;
using Switchboard.Metrics.Rollups;
using Switchboard.Metrics.Tests.Infrastructure;

namespace Switchboard.Metrics.Tests.Ingestion;

public sealed class OutcomeParserTests
{
    private static readonly DateTimeOffset T = new(2026, 5, 4, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_gateway_event_round_trips()
    {
        var e = Outcomes.Attempt("r1", 2, T, kind: AttemptKind.Hedge, task: "classify");
        Assert.True(OutcomeParser.TryParse(JsonSerializer.Serialize(e, ContractJson.Default.OutcomeEvent), out var parsed, out var reason));
        Assert.Null(reason);
        Assert.Equal(e, parsed);
    }

    [Fact]
    public void Cascade_and_rate_limit_headroom_fields_are_accepted()
    {
        const string json = """
            {"requestId":"r","attempt":2,"kind":"Escalation","startedAt":"2026-01-01T00:00:00Z","route":"c","provider":"p","model":"m",
             "outcome":"Success","tier":1,"confidence":0.42,"requestsLeft":0.25,"tokensLeft":0.9,"retryAfterMs":1500}
            """;
        Assert.True(OutcomeParser.TryParse(json, out var parsed, out var reason), reason);
        Assert.Equal((AttemptKind.Escalation, 1, 0.42, 0.25, 0.9, 1500.0),
            (parsed!.Kind, parsed.Tier!.Value, parsed.Confidence!.Value, parsed.RequestsLeft!.Value, parsed.TokensLeft!.Value, parsed.RetryAfterMs!.Value));
    }

    [Theory]
    [InlineData(null, "missing field e")]
    [InlineData("", "missing field e")]
    [InlineData("[1,2]", "invalid JSON")]
    [InlineData("""{"requestId":"r","startedAt":"2026-01-01T00:00:00Z","route":"c","provider":"p","model":"m","outcome":"Success"}""", "invalid JSON")]
    [InlineData("""{"requestId":"r","attempt":1,"startedAt":"2026-01-01T00:00:00Z","route":"c","provider":"p","model":"m","outcome":"Exploded"}""", "invalid JSON")]
    [InlineData("""{"v":2,"requestId":"r","attempt":1,"startedAt":"2026-01-01T00:00:00Z","route":"c","provider":"p","model":"m","outcome":"Success"}""", "unsupported schema version 2")]
    [InlineData("""{"requestId":"","attempt":1,"startedAt":"2026-01-01T00:00:00Z","route":"c","provider":"p","model":"m","outcome":"Success"}""", "requestId is required")]
    [InlineData("""{"requestId":"r","attempt":1,"startedAt":"2026-01-01T00:00:00Z","route":"c","provider":"p","model":"m","outcome":"Success","latencyMs":-1}""", "latencyMs must be a finite number >= 0")]
    [InlineData("""{"requestId":"r","attempt":1,"startedAt":"2026-01-01T00:00:00Z","route":"c","provider":"p","model":"m","outcome":"Success","costUsd":1e12}""", "costUsd out of range")]
    [InlineData("""{"requestId":"r","attempt":1,"startedAt":"1970-01-01T00:00:00Z","route":"c","provider":"p","model":"m","outcome":"Success"}""", "startedAt out of range")]
    [InlineData("""{"requestId":"r","attempt":1,"startedAt":"2026-01-01T00:00:00Z","route":"c\u0000","provider":"p","model":"m","outcome":"Success"}""", "route contains a NUL character")]
    public void Poison_is_refused_with_a_reason(string? json, string expected)
    {
        Assert.False(OutcomeParser.TryParse(json, out var parsed, out var reason));
        Assert.Null(parsed);
        Assert.StartsWith(expected, reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_long_error_message_is_truncated_not_refused()
    {
        var e = Outcomes.Attempt("r1", 1, T) with { ErrorMessage = new string('x', 10_000) };
        Assert.True(OutcomeParser.TryParse(JsonSerializer.Serialize(e, ContractJson.Default.OutcomeEvent), out var parsed, out _));
        Assert.Equal(2000, parsed!.ErrorMessage!.Length);
    }
}

public sealed class AccountingTests
{
    private static readonly DateTimeOffset T = new(2026, 5, 4, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void The_winner_stands_for_a_successful_request_and_the_others_do_not()
    {
        Assert.True(Accounting.IsCounted(Outcomes.Attempt("r", 2, T, attempts: 2)));
        Assert.False(Accounting.IsCounted(Outcomes.Attempt("r", 1, T, winner: false, outcome: AttemptOutcome.Cancelled, attempts: 2)));
        Assert.False(Accounting.IsCounted(Outcomes.Attempt("r", 3, T, winner: false, outcome: AttemptOutcome.Cancelled, attempts: 3)));
    }

    [Fact]
    public void The_last_attempt_stands_for_a_request_no_attempt_answered()
    {
        Assert.False(Accounting.IsCounted(Outcomes.Attempt("r", 1, T, winner: false, outcome: AttemptOutcome.Failure, clientStatus: 502, attempts: 2)));
        Assert.True(Accounting.IsCounted(Outcomes.Attempt("r", 2, T, winner: false, outcome: AttemptOutcome.Failure, clientStatus: 502, attempts: 2)));
    }

    [Fact]
    public void Probes_are_not_client_traffic()
    {
        Assert.False(Accounting.IsCounted(Outcomes.Attempt("p", 1, T, kind: AttemptKind.Probe)));
    }

    [Theory]
    [InlineData(200, false)]
    [InlineData(429, false)]
    [InlineData(400, false)]
    [InlineData(0, true)]
    [InlineData(502, true)]
    [InlineData(504, true)]
    public void Only_5xx_and_no_answer_are_errors_for_the_client(int status, bool error) =>
        Assert.Equal(error, Accounting.IsRequestError(status));

    [Theory]
    [InlineData(AttemptOutcome.Cancelled, false, null, "Hedge")]
    [InlineData(AttemptOutcome.Cancelled, false, ErrorClass.ClientCancelled, "Useful")]
    [InlineData(AttemptOutcome.Failure, false, ErrorClass.ServerError, "Retry")]
    [InlineData(AttemptOutcome.Success, true, null, "Useful")]
    public void Cost_is_split_by_what_the_attempt_became(AttemptOutcome outcome, bool winner, ErrorClass? error, string kind) =>
        Assert.Equal(kind, Accounting.CostKindOf(outcome, winner, error).ToString());
}
