using System.Text.Json;
using Switchboard.Contracts.Outcomes;

namespace Switchboard.Metrics.Ingestion;

/// <summary>
/// Reads an outcome event with one forward pass of <see cref="Utf8JsonReader"/>, for the form the gateways write
/// (<see cref="ContractJson"/>: camelCase names, enums by name, numbers as numbers). Anything else (another casing,
/// an escaped or unknown name, a number in a string, an enum as a number, a missing required field, bad JSON) returns
/// null and the caller deserialises with the source-generated contract instead, so what is accepted and what is refused
/// (and its reason) stay exactly the serializer's. The fast path matters because ingestion parses every event: the
/// serializer's metadata-driven reader cost more CPU than any other stage of the service.
/// </summary>
internal static class OutcomeReader
{
    public static OutcomeEvent? TryRead(ReadOnlySpan<byte> utf8)
    {
        try
        {
            return Read(utf8);
        }
        catch (JsonException)
        {
            return null; // The serializer reads it again and words the reason.
        }
        catch (InvalidOperationException)
        {
            return null; // A token of another type than the field's.
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static OutcomeEvent? Read(ReadOnlySpan<byte> utf8)
    {
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return null;
        }
        // Absent "v" reads as 0, as with the source-generated contract.
        var v = 0;
        string? requestId = null, keyName = null, route = null, task = null, provider = null, providerType = null, model = null;
        string? modelReported = null, errorMessage = null, gateway = null;
        int? attempt = null;
        DateTimeOffset? startedAt = null;
        AttemptOutcome? outcome = null;
        var kind = AttemptKind.Primary;
        ErrorClass? error = null;
        bool drift = false, stream = false, winner = false, tokensEstimated = false, hedged = false;
        bool seenRequestId = false, seenRoute = false, seenProvider = false, seenModel = false;
        int status = 0, inputTokens = 0, outputTokens = 0, cachedInputTokens = 0, cacheWriteTokens = 0, reasoningTokens = 0;
        int clientStatus = 0, attempts = 0;
        int? tier = null;
        double latencyMs = 0, clientLatencyMs = 0;
        double? ttftMs = null, clientTtftMs = null, confidence = null, requestsLeft = null, tokensLeft = null, retryAfterMs = null;
        decimal costUsd = 0;
        AnswerChecks? checks = null;

        while (true)
        {
            if (!reader.Read())
            {
                return null;
            }
            if (reader.TokenType == JsonTokenType.EndObject)
            {
                break;
            }
            if (reader.TokenType != JsonTokenType.PropertyName || reader.ValueIsEscaped)
            {
                return null;
            }
            var name = reader.ValueSpan;
            if (!reader.Read())
            {
                return null;
            }
            switch (name.Length)
            {
                case 1 when name.SequenceEqual("v"u8): v = Int(ref reader); break;
                case 4 when name.SequenceEqual("kind"u8):
                    if (Member<AttemptKind>(ref reader) is not { } k) return null;
                    kind = k;
                    break;
                case 4 when name.SequenceEqual("task"u8): task = Text(ref reader); break;
                case 5 when name.SequenceEqual("route"u8): route = Text(ref reader); seenRoute = true; break;
                case 5 when name.SequenceEqual("model"u8): model = Text(ref reader); seenModel = true; break;
                case 5 when name.SequenceEqual("drift"u8): drift = reader.GetBoolean(); break;
                case 5 when name.SequenceEqual("error"u8):
                    if (reader.TokenType == JsonTokenType.Null)
                    {
                        error = null;
                    }
                    else if (Member<ErrorClass>(ref reader) is { } e)
                    {
                        error = e;
                    }
                    else
                    {
                        return null;
                    }
                    break;
                case 4 when name.SequenceEqual("tier"u8): tier = reader.TokenType == JsonTokenType.Null ? null : Int(ref reader); break;
                case 6 when name.SequenceEqual("stream"u8): stream = reader.GetBoolean(); break;
                case 6 when name.SequenceEqual("winner"u8): winner = reader.GetBoolean(); break;
                case 6 when name.SequenceEqual("status"u8): status = Int(ref reader); break;
                case 6 when name.SequenceEqual("hedged"u8): hedged = reader.GetBoolean(); break;
                case 6 when name.SequenceEqual("checks"u8):
                    checks = JsonSerializer.Deserialize(ref reader, ContractJson.Default.AnswerChecks);
                    break;
                case 7 when name.SequenceEqual("attempt"u8): attempt = Int(ref reader); break;
                case 7 when name.SequenceEqual("keyName"u8): keyName = Text(ref reader); break;
                case 7 when name.SequenceEqual("outcome"u8):
                    if (Member<AttemptOutcome>(ref reader) is not { } o) return null;
                    outcome = o;
                    break;
                case 7 when name.SequenceEqual("costUsd"u8): costUsd = Number(ref reader).GetDecimal(); break;
                case 7 when name.SequenceEqual("gateway"u8): gateway = Text(ref reader); break;
                case 8 when name.SequenceEqual("provider"u8): provider = Text(ref reader); seenProvider = true; break;
                case 8 when name.SequenceEqual("attempts"u8): attempts = Int(ref reader); break;
                case 9 when name.SequenceEqual("requestId"u8): requestId = Text(ref reader); seenRequestId = true; break;
                case 9 when name.SequenceEqual("startedAt"u8):
                    if (reader.TokenType != JsonTokenType.String || !reader.TryGetDateTimeOffset(out var started)) return null;
                    startedAt = started;
                    break;
                case 9 when name.SequenceEqual("latencyMs"u8): latencyMs = Double(ref reader); break;
                case 6 when name.SequenceEqual("ttftMs"u8): ttftMs = NullableDouble(ref reader); break;
                case 10 when name.SequenceEqual("confidence"u8): confidence = NullableDouble(ref reader); break;
                case 10 when name.SequenceEqual("tokensLeft"u8): tokensLeft = NullableDouble(ref reader); break;
                case 11 when name.SequenceEqual("inputTokens"u8): inputTokens = Int(ref reader); break;
                case 12 when name.SequenceEqual("providerType"u8): providerType = Text(ref reader); break;
                case 12 when name.SequenceEqual("outputTokens"u8): outputTokens = Int(ref reader); break;
                case 12 when name.SequenceEqual("errorMessage"u8): errorMessage = Text(ref reader); break;
                case 12 when name.SequenceEqual("clientStatus"u8): clientStatus = Int(ref reader); break;
                case 12 when name.SequenceEqual("clientTtftMs"u8): clientTtftMs = NullableDouble(ref reader); break;
                case 12 when name.SequenceEqual("requestsLeft"u8): requestsLeft = NullableDouble(ref reader); break;
                case 12 when name.SequenceEqual("retryAfterMs"u8): retryAfterMs = NullableDouble(ref reader); break;
                case 13 when name.SequenceEqual("modelReported"u8): modelReported = Text(ref reader); break;
                case 15 when name.SequenceEqual("reasoningTokens"u8): reasoningTokens = Int(ref reader); break;
                case 15 when name.SequenceEqual("tokensEstimated"u8): tokensEstimated = reader.GetBoolean(); break;
                case 15 when name.SequenceEqual("clientLatencyMs"u8): clientLatencyMs = Double(ref reader); break;
                case 16 when name.SequenceEqual("cacheWriteTokens"u8): cacheWriteTokens = Int(ref reader); break;
                case 17 when name.SequenceEqual("cachedInputTokens"u8): cachedInputTokens = Int(ref reader); break;
                default: return null; // Another casing, or a field this reader does not know: the serializer decides.
            }
        }
        if (reader.Read() || !seenRequestId || attempt is null || startedAt is null || !seenRoute || !seenProvider || !seenModel
            || outcome is null)
        {
            return null; // Trailing content or a required field missing: refused by the serializer, with its reason.
        }
        return new OutcomeEvent
        {
            V = v,
            RequestId = requestId!,
            Attempt = attempt.Value,
            Kind = kind,
            StartedAt = startedAt.Value,
            KeyName = keyName,
            Route = route!,
            Task = task,
            Provider = provider!,
            ProviderType = providerType,
            Model = model!,
            ModelReported = modelReported,
            Drift = drift,
            Stream = stream,
            Outcome = outcome.Value,
            Winner = winner,
            Status = status,
            Error = error,
            ErrorMessage = errorMessage,
            LatencyMs = latencyMs,
            TtftMs = ttftMs,
            InputTokens = inputTokens,
            OutputTokens = outputTokens,
            CachedInputTokens = cachedInputTokens,
            CacheWriteTokens = cacheWriteTokens,
            ReasoningTokens = reasoningTokens,
            TokensEstimated = tokensEstimated,
            CostUsd = costUsd,
            ClientStatus = clientStatus,
            ClientLatencyMs = clientLatencyMs,
            ClientTtftMs = clientTtftMs,
            Attempts = attempts,
            Hedged = hedged,
            Tier = tier,
            Confidence = confidence,
            RequestsLeft = requestsLeft,
            TokensLeft = tokensLeft,
            RetryAfterMs = retryAfterMs,
            Gateway = gateway,
            Checks = checks,
        };
    }

    private static ref Utf8JsonReader Number(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.Number)
        {
            throw new FormatException(); // A number in a string (or null): the serializer's rules apply.
        }
        return ref reader;
    }

    private static int Int(ref Utf8JsonReader reader) => Number(ref reader).GetInt32();

    private static double Double(ref Utf8JsonReader reader) => Number(ref reader).GetDouble();

    private static double? NullableDouble(ref Utf8JsonReader reader) =>
        reader.TokenType == JsonTokenType.Null ? null : Double(ref reader);

    private static string? Text(ref Utf8JsonReader reader) =>
        reader.TokenType switch
        {
            JsonTokenType.Null => null,
            JsonTokenType.String => reader.GetString(),
            _ => throw new FormatException(),
        };

    /// <summary>An enum member by its exact name (what <c>JsonStringEnumConverter</c> writes); null for anything else.</summary>
    private static T? Member<T>(ref Utf8JsonReader reader) where T : struct, Enum
    {
        var name = Name(ref reader);
        foreach (var (utf8, value) in Members<T>.All)
        {
            if (name.SequenceEqual(utf8))
            {
                return value;
            }
        }
        return null;
    }

    private static class Members<T> where T : struct, Enum
    {
        public static readonly (byte[] Utf8, T Value)[] All =
            [.. Enum.GetValues<T>().Select(v => (System.Text.Encoding.UTF8.GetBytes(v.ToString()), v))];
    }

    /// <summary>An enum's name as written (unescaped only: anything else goes to the serializer).</summary>
    private static ReadOnlySpan<byte> Name(ref Utf8JsonReader reader) =>
        reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped && !reader.HasValueSequence ? reader.ValueSpan : default;
}
