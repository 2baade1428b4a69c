using System.Text;
using System.Text.Json;
using Switchboard.Contracts.Outcomes;

namespace Switchboard.Metrics.Ingestion;

/// <summary>
/// Turns a stream entry into an event, or says why it is poison. Everything PostgreSQL would refuse (NUL characters,
/// numbers out of range) is refused here, so one bad event is dead-lettered alone instead of failing its batch.
/// </summary>
internal static class OutcomeParser
{
    private const int MaxId = 200;
    private const int MaxName = 500;
    private const int MaxMessage = 2000;
    private const decimal MaxCost = 99_999_999m;

    public static bool TryParse(string? json, out OutcomeEvent? outcome, out string? reason) =>
        TryParse(json is null ? default : Encoding.UTF8.GetBytes(json), out outcome, out reason);

    /// <summary>From the stream entry's bytes as they came (no UTF-16 string in between: a quarter of the parse cost).</summary>
    public static bool TryParse(ReadOnlySpan<byte> utf8, out OutcomeEvent? outcome, out string? reason)
    {
        outcome = null;
        if (utf8.Trim(" \t\r\n"u8).IsEmpty)
        {
            reason = "missing field e";
            return false;
        }
        OutcomeEvent? parsed;
        try
        {
            parsed = OutcomeReader.TryRead(utf8) ?? Deserialize(utf8);
        }
        catch (JsonException ex)
        {
            reason = $"invalid JSON: {ex.Message}";
            return false;
        }
        if (parsed is null)
        {
            reason = "invalid JSON: null";
            return false;
        }
        reason = Validate(parsed);
        if (reason is not null)
        {
            return false;
        }
        outcome = parsed.ErrorMessage is { Length: > MaxMessage } message
            ? parsed with { ErrorMessage = message[..MaxMessage] }
            : parsed;
        return true;
    }

    /// <summary>The source-generated contract: what decides, whenever <see cref="OutcomeReader"/> does not.</summary>
    internal static OutcomeEvent? Deserialize(ReadOnlySpan<byte> utf8) => JsonSerializer.Deserialize(utf8, ContractJson.Default.OutcomeEvent);

    private static string? Validate(OutcomeEvent e)
    {
        // An absent "v" reads as 0 with the source-generated contract: that is version 1 too.
        if (e.V > 1)
        {
            return $"unsupported schema version {e.V}";
        }
        return Text("requestId", e.RequestId, MaxId, required: true)
               ?? Text("route", e.Route, MaxName, required: true)
               ?? Text("provider", e.Provider, MaxName, required: true)
               ?? Text("model", e.Model, MaxName, required: true)
               ?? Text("keyName", e.KeyName, MaxName)
               ?? Text("task", e.Task, MaxName)
               ?? Text("providerType", e.ProviderType, MaxName)
               ?? Text("modelReported", e.ModelReported, MaxName)
               ?? Text("gateway", e.Gateway, MaxName)
               ?? Text("errorMessage", e.ErrorMessage, int.MaxValue)
               ?? (e.Attempt < 1 ? "attempt must be >= 1" : null)
               ?? (e.Attempts < 0 ? "attempts must be >= 0" : null)
               ?? (e.StartedAt.Year is < 2000 or > 2200 ? "startedAt out of range" : null)
               ?? Duration("latencyMs", e.LatencyMs)
               ?? Duration("ttftMs", e.TtftMs)
               ?? Duration("clientLatencyMs", e.ClientLatencyMs)
               ?? Duration("clientTtftMs", e.ClientTtftMs)
               ?? (e.InputTokens < 0 || e.OutputTokens < 0 || e.CachedInputTokens < 0 || e.CacheWriteTokens < 0 || e.ReasoningTokens < 0
                   ? "token counts must be >= 0" : null)
               ?? (e.CostUsd is < 0 or > MaxCost ? "costUsd out of range" : null)
               ?? (e.Status is < 0 or > 999 || e.ClientStatus is < 0 or > 999 ? "status out of range" : null)
               ?? (e.Confidence is { } c && !double.IsFinite(c) ? "confidence must be finite" : null);
    }

    private static string? Text(string field, string? value, int max, bool required = false)
    {
        if (string.IsNullOrEmpty(value))
        {
            return required ? $"{field} is required" : null;
        }
        if (value.Length > max)
        {
            return $"{field} longer than {max} characters";
        }
        return value.Contains('\0', StringComparison.Ordinal) ? $"{field} contains a NUL character" : null;
    }

    private static string? Duration(string field, double? value) =>
        value is { } v && (!double.IsFinite(v) || v < 0) ? $"{field} must be a finite number >= 0" : null;
}
