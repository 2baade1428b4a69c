using System.Text.Json;
using System.Text.RegularExpressions;

namespace Switchboard.Contracts.Routing;

/// <summary>One problem found in a routing document, with the path of the field it concerns.</summary>
public sealed record RoutingError(string Field, string Message)
{
    /// <inheritdoc />
    public override string ToString() => $"{Field}: {Message}";
}

/// <summary>The result of parsing and validating a routing document.</summary>
public sealed record RoutingParseResult(RoutingDocument? Document, IReadOnlyList<RoutingError> Errors)
{
    /// <summary>True when the document parsed and has no error.</summary>
    public bool IsValid => Document is not null && Errors.Count == 0;
}

/// <summary>
/// Parses and validates routing documents. The gateway (at load and on reload) and Router.Worker (before a
/// publish) use this same code, so a document one accepts the other accepts.
/// </summary>
public static partial class RoutingDocumentValidator
{
    /// <summary>
    /// Parses JSON text and validates it. <c>${NAME}</c> in a provider's <c>baseUrl</c> is replaced through
    /// <paramref name="variables"/> (configuration or environment) before validation; an unknown name is an error.
    /// </summary>
    public static RoutingParseResult Parse(string json, Func<string, string?>? variables = null)
    {
        RoutingDocument? doc;
        try
        {
            doc = JsonSerializer.Deserialize(json, RoutingDocumentJson.Default.RoutingDocument);
        }
        catch (JsonException ex)
        {
            return new(null, [new RoutingError(FieldOf(ex), Describe(ex))]);
        }

        if (doc is null)
        {
            return new(null, [new RoutingError("$", "the document is empty (null)")]);
        }

        var expansionErrors = new List<RoutingError>();
        if (variables is not null)
        {
            doc = ExpandBaseUrls(doc, variables, expansionErrors);
        }
        var errors = expansionErrors.Count > 0 ? expansionErrors : Validate(doc);
        return new(errors.Count == 0 ? doc : null, errors);
    }

    private static RoutingDocument ExpandBaseUrls(RoutingDocument doc, Func<string, string?> variables, List<RoutingError> errors)
    {
        var providers = new Dictionary<string, ProviderConfig>(doc.Providers.Count, StringComparer.Ordinal);
        foreach (var (name, p) in doc.Providers)
        {
            var expanded = Variable().Replace(p.BaseUrl, m =>
            {
                var value = variables(m.Groups[1].Value);
                if (value is null)
                {
                    errors.Add(new($"providers.{name}.baseUrl", $"'${{{m.Groups[1].Value}}}' is not set"));
                    return m.Value;
                }
                return value.TrimEnd('/');
            });
            providers[name] = expanded == p.BaseUrl ? p : p with { BaseUrl = expanded };
        }
        return doc with { Providers = providers };
    }

    [GeneratedRegex(@"\$\{([A-Za-z0-9_:.\-]+)\}", RegexOptions.CultureInvariant)]
    private static partial Regex Variable();

    /// <summary>Validates a parsed document.</summary>
    public static IReadOnlyList<RoutingError> Validate(RoutingDocument doc)
    {
        ArgumentNullException.ThrowIfNull(doc);
        var errors = new List<RoutingError>();

        foreach (var (name, p) in doc.Providers)
        {
            var at = $"providers.{name}";
            if (string.IsNullOrWhiteSpace(name) || name.Contains('/', StringComparison.Ordinal))
            {
                errors.Add(new(at, "a provider name must be non-empty and contain no '/'"));
            }
            if (!ProviderTypes.All.Contains(p.Type))
            {
                errors.Add(new($"{at}.type", $"unknown provider type '{p.Type}' (expected one of: {string.Join(", ", ProviderTypes.All)})"));
            }
            if (!Uri.TryCreate(p.BaseUrl, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                errors.Add(new($"{at}.baseUrl", $"'{p.BaseUrl}' is not an absolute http(s) URL"));
            }
            CheckPositive(errors, $"{at}.requestsPerMinute", p.RequestsPerMinute);
            CheckPositive(errors, $"{at}.tokensPerMinute", p.TokensPerMinute);
            CheckPositive(errors, $"{at}.maxConcurrency", p.MaxConcurrency);
            if (p.ApiKey is not null && p.ApiKeys is not null)
            {
                errors.Add(new($"{at}.apiKeys", "give apiKey or apiKeys, not both"));
            }
        }

        foreach (var (name, r) in doc.Routes)
        {
            var at = $"routes.{name}";
            if (string.IsNullOrWhiteSpace(name) || name.Contains('/', StringComparison.Ordinal))
            {
                errors.Add(new(at, "a route name must be non-empty and contain no '/' (provider/model names are reserved)"));
            }
            if (!RouteStrategies.All.Contains(r.Strategy))
            {
                errors.Add(new($"{at}.strategy", $"unknown strategy '{r.Strategy}' (expected one of: {string.Join(", ", RouteStrategies.All)})"));
            }
            if (r.Targets.Count == 0)
            {
                errors.Add(new($"{at}.targets", "a route needs at least one target"));
            }
            for (var i = 0; i < r.Targets.Count; i++)
            {
                var t = r.Targets[i];
                var tat = $"{at}.targets[{i}]";
                if (!doc.Providers.ContainsKey(t.Provider))
                {
                    errors.Add(new($"{tat}.provider", $"unknown provider '{t.Provider}'"));
                }
                if (string.IsNullOrWhiteSpace(t.Model))
                {
                    errors.Add(new($"{tat}.model", "model is empty"));
                }
                else if (!t.AllowFloating && IsFloatingAlias(t.Model))
                {
                    errors.Add(new($"{tat}.model", $"'{t.Model}' is a floating alias; pin a dated or versioned model, or set \"allowFloating\": true"));
                }
                if (t.Weight < 0 || double.IsNaN(t.Weight))
                {
                    errors.Add(new($"{tat}.weight", "weight must be zero or positive"));
                }
            }
            CheckPositive(errors, $"{at}.firstTokenTimeoutMs", r.FirstTokenTimeoutMs);
            CheckPositive(errors, $"{at}.attemptTimeoutMs", r.AttemptTimeoutMs);
            CheckPositive(errors, $"{at}.requestTimeoutMs", r.RequestTimeoutMs);
            CheckPositive(errors, $"{at}.maxAttempts", r.MaxAttempts);
            CheckPositive(errors, $"{at}.defaultMaxTokens", r.DefaultMaxTokens);
            if (r.MaxCostUsd is <= 0)
            {
                errors.Add(new($"{at}.maxCostUsd", "must be positive"));
            }
            if (r.Slo?.Availability is { } a && (a <= 0 || a >= 1))
            {
                errors.Add(new($"{at}.slo.availability", "must be between 0 and 1 exclusive, e.g. 0.999"));
            }
            if (r.MinConfidence is { } mc && (mc < 0 || mc > 1))
            {
                errors.Add(new($"{at}.minConfidence", "must be between 0 and 1"));
            }
            if (r.Scorer is not null && !Scorers.All.Contains(r.Scorer))
            {
                errors.Add(new($"{at}.scorer", $"unknown scorer '{r.Scorer}' (expected one of: {string.Join(", ", Scorers.All)})"));
            }
            if (r.Strategy == RouteStrategies.Cascade && r.Scorer is null)
            {
                errors.Add(new($"{at}.scorer", "a cascade route needs a scorer"));
            }
            if (r.Strategy == RouteStrategies.Cascade && r.MinConfidence is null)
            {
                errors.Add(new($"{at}.minConfidence", "a cascade route needs minConfidence (the score, 0 to 1, an answer needs to be returned without escalating)"));
            }
            if (r.Scorer == Scorers.Judge && (r.JudgeRoute is null || !doc.Routes.ContainsKey(r.JudgeRoute)))
            {
                errors.Add(new($"{at}.judgeRoute", $"the judge scorer needs judgeRoute to name a route (got '{r.JudgeRoute}')"));
            }
        }

        foreach (var (name, t) in doc.Tasks)
        {
            if (!doc.Routes.ContainsKey(t.Route))
            {
                errors.Add(new($"tasks.{name}.route", $"unknown route '{t.Route}'"));
            }
            if (t.Scorer is not null && !Scorers.All.Contains(t.Scorer))
            {
                errors.Add(new($"tasks.{name}.scorer", $"unknown scorer '{t.Scorer}'"));
            }
            if (t.MinConfidence is { } tmc && (tmc < 0 || tmc > 1))
            {
                errors.Add(new($"tasks.{name}.minConfidence", "must be between 0 and 1"));
            }
            if (t.Scorer == Scorers.Judge && doc.Routes.TryGetValue(t.Route, out var judged) && judged.JudgeRoute is null)
            {
                errors.Add(new($"tasks.{name}.scorer", $"the judge scorer needs route '{t.Route}' to name a judgeRoute"));
            }
        }

        if (doc.Keys is { } keys)
        {
            var names = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < keys.Count; i++)
            {
                var k = keys[i];
                var at = $"keys[{i}]";
                if (string.IsNullOrWhiteSpace(k.Name))
                {
                    errors.Add(new($"{at}.name", "name is empty"));
                }
                else if (!names.Add(k.Name))
                {
                    errors.Add(new($"{at}.name", $"duplicate key name '{k.Name}'"));
                }
                if (string.IsNullOrEmpty(k.Key) == string.IsNullOrEmpty(k.KeyHash))
                {
                    errors.Add(new($"{at}.key", "give exactly one of key or keyHash"));
                }
                if (!string.IsNullOrEmpty(k.KeyHash) && !IsKeyHash(k.KeyHash))
                {
                    errors.Add(new($"{at}.keyHash", "expected sha256:<salt-base64>:<hash-base64> (hash = SHA-256 of salt followed by the UTF-8 key)"));
                }
                CheckPositive(errors, $"{at}.requestsPerMinute", k.RequestsPerMinute);
                CheckPositive(errors, $"{at}.tokensPerMinute", k.TokensPerMinute);
                if (k.BudgetUsd is < 0)
                {
                    errors.Add(new($"{at}.budgetUsd", "must be zero or positive"));
                }
            }
        }

        foreach (var (model, price) in doc.Prices)
        {
            if (price.InputPerMTok < 0 || price.OutputPerMTok < 0 || price.CachedInputPerMTok < 0 || price.CacheWritePerMTok < 0 || price.ReasoningPerMTok < 0)
            {
                errors.Add(new($"prices.{model}", "prices must be zero or positive"));
            }
        }

        return errors;
    }

    /// <summary>
    /// True when a model name is a floating alias: it ends in <c>latest</c>, or carries no date
    /// (<c>-20241022</c>, <c>-2024-08-06</c>), no YYMM (<c>-2411</c>) and no version (<c>-001</c>, <c>-v2</c>) suffix.
    /// </summary>
    public static bool IsFloatingAlias(string model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.EndsWith("latest", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }
        return !PinnedSuffix().IsMatch(model);
    }

    [GeneratedRegex(@"[-_@:](\d{4}-\d{2}-\d{2}|\d{8}|\d{4}|\d{3}|v\d+(\.\d+)*)$", RegexOptions.CultureInvariant)]
    private static partial Regex PinnedSuffix();

    /// <summary>True when <paramref name="text"/> has the stored gateway key form <c>sha256:&lt;salt-b64&gt;:&lt;hash-b64&gt;</c>.</summary>
    public static bool IsKeyHash(string text) => Keys.GatewayKeyHash.TryParse(text, out _);

    private static void CheckPositive(List<RoutingError> errors, string field, int? value)
    {
        if (value is <= 0)
        {
            errors.Add(new(field, "must be positive"));
        }
    }

    private static string FieldOf(JsonException ex)
    {
        var path = ex.Path ?? "$";
        return path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path;
    }

    private static string Describe(JsonException ex)
    {
        var message = ex.Message;
        var m = UnmappedProperty().Match(message);
        if (m.Success)
        {
            return $"unknown field '{m.Groups[1].Value}'";
        }
        var req = MissingRequired().Match(message);
        if (req.Success)
        {
            return $"missing required field(s): {req.Groups[1].Value}";
        }
        // The serializer's message names the path and the expected type; drop its internal type names.
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }

    [GeneratedRegex("The JSON property '([^']+)' could not be mapped", RegexOptions.CultureInvariant)]
    private static partial Regex UnmappedProperty();

    [GeneratedRegex("missing required properties including: (.+?)\\.?( Path|$)", RegexOptions.CultureInvariant)]
    private static partial Regex MissingRequired();
}

/// <summary>Cascade scorer names.</summary>
public static class Scorers
{
    /// <summary>Token log probabilities.</summary>
    public const string Logprobs = "logprobs";
    /// <summary>JSON schema / allowed answers.</summary>
    public const string Schema = "schema";
    /// <summary>A verifier route.</summary>
    public const string Judge = "judge";
    /// <summary>Two samples agree.</summary>
    public const string Agreement = "agreement";

    /// <summary>All scorer names.</summary>
    public static readonly IReadOnlyList<string> All = [Logprobs, Schema, Judge, Agreement];
}
