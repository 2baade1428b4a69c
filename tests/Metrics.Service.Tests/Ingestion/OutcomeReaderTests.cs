using System.Text;
using System.Text.Json;
using Switchboard.Contracts.Outcomes;
using Switchboard.Metrics.Ingestion;
using Switchboard.Metrics.Tests.Infrastructure;

namespace Switchboard.Metrics.Tests.Ingestion;

/// <summary>The fast reader must read exactly what the source-generated contract reads, or step aside.</summary>
public sealed class OutcomeReaderTests
{
    private static readonly DateTimeOffset T = new(2026, 5, 4, 12, 0, 0, TimeSpan.FromHours(2));

    public static IEnumerable<object[]> GatewayEvents()
    {
        var mix = Outcomes.Mix(200, T, T.AddHours(1), seed: 7);
        var every = Outcomes.Attempt("r\"é\\n\u2028", 3, T, task: "classify", kind: AttemptKind.Escalation,
                outcome: AttemptOutcome.Failure, winner: false, status: 529, error: ErrorClass.ServerError, costUsd: 0.0000001234m,
                clientStatus: 502, attempts: 3, hedged: true) with
        {
            ErrorMessage = "upstream said \"overloaded\"\t\u0001",
            Drift = true,
            Stream = true,
            ModelReported = "gpt-4o-mini",
            CachedInputTokens = 12,
            CacheWriteTokens = 5,
            ReasoningTokens = 7,
            TokensEstimated = true,
            Tier = 2,
            Confidence = 0.125,
            RequestsLeft = 0.5,
            TokensLeft = 0.75,
            RetryAfterMs = 1500,
            Gateway = "gateway-a",
            Checks = new AnswerChecks { JsonValid = false, Empty = true, Truncated = true, ToolArgumentsValid = null },
            TtftMs = null,
            ClientTtftMs = null,
        };
        foreach (var e in mix.Take(50).Append(every).Append(every with { V = 1, KeyName = null, Task = null, Error = ErrorClass.ClientCancelled }))
        {
            yield return [JsonSerializer.Serialize(e, ContractJson.Default.OutcomeEvent)];
        }
    }

    [Theory]
    [MemberData(nameof(GatewayEvents))]
    public void What_the_gateways_write_is_read_as_the_serializer_reads_it(string json)
    {
        var utf8 = Encoding.UTF8.GetBytes(json);
        var fast = OutcomeReader.TryRead(utf8);
        Assert.NotNull(fast);
        Assert.Equal(OutcomeParser.Deserialize(utf8), fast);
    }

    [Theory]
    [InlineData("""{"RequestId":"r","attempt":1,"startedAt":"2026-01-01T00:00:00Z","route":"c","provider":"p","model":"m","outcome":"Success"}""")]
    [InlineData("""{"requestId":"r","attempt":"1","startedAt":"2026-01-01T00:00:00Z","route":"c","provider":"p","model":"m","outcome":"Success"}""")]
    [InlineData("""{"requestId":"r","attempt":1,"startedAt":"2026-01-01T00:00:00Z","route":"c","provider":"p","model":"m","outcome":1}""")]
    [InlineData("""{"requestId":"r","attempt":1,"startedAt":"2026-01-01T00:00:00Z","route":"c","provider":"p","model":"m","outcome":"success"}""")]
    [InlineData("""{"requestId":"r","attempt":1,"startedAt":"2026-01-01T00:00:00Z","route":"c","provider":"p","model":"m","outcome":"Success","extra":{"a":[1]}}""")]
    [InlineData("""{"request\u0049d":"r","attempt":1,"startedAt":"2026-01-01T00:00:00Z","route":"c","provider":"p","model":"m","outcome":"Success"}""")]
    [InlineData("""{"requestId":"r","attempt":1,"startedAt":"2026-01-01T00:00:00Z","route":"c","provider":"p","model":"m","outcome":"Success","costUsd":"0.5"}""")]
    public void Other_forms_are_left_to_the_serializer_with_the_same_result(string json)
    {
        var utf8 = Encoding.UTF8.GetBytes(json);
        Assert.Null(OutcomeReader.TryRead(utf8));
        Assert.True(OutcomeParser.TryParse(utf8, out var parsed, out var reason), reason);
        Assert.Equal(OutcomeParser.Deserialize(utf8), parsed);
    }

    [Theory]
    [InlineData("""{"requestId":"r","attempt":null,"startedAt":"2026-01-01T00:00:00Z","route":"c","provider":"p","model":"m","outcome":"Success"}""")]
    [InlineData("""{"requestId":"r","attempt":1.5,"startedAt":"2026-01-01T00:00:00Z","route":"c","provider":"p","model":"m","outcome":"Success"}""")]
    [InlineData("""{"requestId":"r","attempt":1,"startedAt":"yesterday","route":"c","provider":"p","model":"m","outcome":"Success"}""")]
    [InlineData("""{"requestId":"r","attempt":1,"startedAt":"2026-01-01T00:00:00Z","route":"c","provider":"p","model":"m"}""")]
    [InlineData("""{"requestId":"r","attempt":1,"startedAt":"2026-01-01T00:00:00Z","route":"c","provider":"p","model":"m","outcome":"Success"} x""")]
    [InlineData("""{"requestId":"r","attempt":1,"startedAt":"2026-01-01T00:00:00Z","route":"c","provider":"p","model":"m","outcome":"Success",""")]
    public void Bad_events_get_the_serializers_reason(string json)
    {
        var utf8 = Encoding.UTF8.GetBytes(json);
        Assert.Null(OutcomeReader.TryRead(utf8));
        var expected = Assert.ThrowsAny<JsonException>(() => OutcomeParser.Deserialize(utf8));
        Assert.False(OutcomeParser.TryParse(utf8, out _, out var reason));
        Assert.Equal($"invalid JSON: {expected.Message}", reason);
    }
}
