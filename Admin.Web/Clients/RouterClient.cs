using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Switchboard.Contracts.Health;
using Switchboard.Contracts.Routing;

namespace Switchboard.Admin.Clients;

/// <summary>
/// Router.Worker's control API (CONTRACT.md section 7), reached through service discovery as "http://router"
/// with the admin key. Every DTO it returns is in this file.
/// </summary>
public sealed class RouterClient(HttpClient http)
{
    private const string Service = "Router.Worker";

    /// <summary>Live health of every deployment.</summary>
    public async Task<IReadOnlyList<DeploymentHealth>> GetHealthAsync(CancellationToken ct) =>
        await http.GetFromJsonAsync<IReadOnlyList<DeploymentHealth>>("/api/health", AdminJson.Options, ct) ?? [];

    /// <summary>Alerts, newest first (acknowledged ones included).</summary>
    public async Task<IReadOnlyList<AlertItem>> GetAlertsAsync(CancellationToken ct) =>
        await http.GetFromJsonAsync<IReadOnlyList<AlertItem>>("/api/alerts", AdminJson.Options, ct) ?? [];

    /// <summary>Acknowledges an alert.</summary>
    public async Task AcknowledgeAlertAsync(string id, CancellationToken ct)
    {
        using var response = await http.PostAsync($"/api/alerts/{Uri.EscapeDataString(id)}/ack", content: null, ct);
        await ServiceErrors.EnsureSuccessAsync(response, Service, ct);
    }

    /// <summary>
    /// Quality per deployment: the leader's score now and the stored scores of the last 24 hours
    /// (<c>GET /api/quality</c> answers <c>{"current":[...],"history":[...]}</c>), one series per deployment.
    /// </summary>
    public async Task<IReadOnlyList<QualitySeries>> GetQualityAsync(CancellationToken ct)
    {
        var view = await http.GetFromJsonAsync<QualityView>("/api/quality", AdminJson.Options, ct) ?? new QualityView();
        return QualitySeries.From(view);
    }

    /// <summary>The routing document in force, with its version.</summary>
    public Task<RoutingVersion?> GetCurrentRoutingAsync(CancellationToken ct) =>
        http.GetFromJsonAsync<RoutingVersion>("/api/routing/current", AdminJson.Options, ct);

    /// <summary>Every published version, newest first (documents may be left out).</summary>
    public async Task<IReadOnlyList<RoutingVersion>> GetRoutingVersionsAsync(CancellationToken ct) =>
        await http.GetFromJsonAsync<IReadOnlyList<RoutingVersion>>("/api/routing/versions", AdminJson.Options, ct) ?? [];

    /// <summary>One version with its document.</summary>
    public Task<RoutingVersion?> GetRoutingVersionAsync(long version, CancellationToken ct) =>
        http.GetFromJsonAsync<RoutingVersion>($"/api/routing/versions/{version}", AdminJson.Options, ct);

    /// <summary>Validates a document with the gateway's own validator; errors name the field.</summary>
    public async Task<ValidationResult> ValidateRoutingAsync(string documentJson, CancellationToken ct)
    {
        using var content = new StringContent(documentJson, Encoding.UTF8, "application/json");
        using var response = await http.PostAsync("/api/routing/validate", content, ct);
        return await ReadValidationAsync(response, ct);
    }

    /// <summary>Publishes a document as a new version; on a 400 the validation errors come back instead.</summary>
    public async Task<PublishResult> PublishRoutingAsync(string documentJson, string? comment, CancellationToken ct)
    {
        using var parsed = JsonDocument.Parse(documentJson);
        var body = new PublishRequest(parsed.RootElement.Clone(), comment);
        using var response = await http.PostAsJsonAsync("/api/routing/publish", body, AdminJson.Options, ct);
        if (ServiceErrors.IsRefusal(response.StatusCode))
        {
            return new PublishResult(null, (await ReadValidationAsync(response, ct)).Errors);
        }
        await ServiceErrors.EnsureSuccessAsync(response, Service, ct);
        return new PublishResult(await response.Content.ReadFromJsonAsync<RoutingVersion>(AdminJson.Options, ct), []);
    }

    /// <summary>Publishes an earlier version's document as a new version.</summary>
    public async Task<RoutingVersion?> RollbackRoutingAsync(long version, CancellationToken ct)
    {
        using var response = await http.PostAsync($"/api/routing/rollback/{version}", content: null, ct);
        await ServiceErrors.EnsureSuccessAsync(response, Service, ct);
        return await response.Content.ReadFromJsonAsync<RoutingVersion>(AdminJson.Options, ct);
    }

    /// <summary>Gateway keys (never the keys themselves).</summary>
    public async Task<IReadOnlyList<GatewayKeyInfo>> GetKeysAsync(CancellationToken ct) =>
        await http.GetFromJsonAsync<IReadOnlyList<GatewayKeyInfo>>("/api/keys", AdminJson.Options, ct) ?? [];

    /// <summary>Creates a key; the answer carries the key, shown once.</summary>
    public async Task<CreatedKey> CreateKeyAsync(CreateKeyRequest request, CancellationToken ct)
    {
        using var response = await http.PostAsJsonAsync("/api/keys", request, AdminJson.Options, ct);
        await ServiceErrors.EnsureSuccessAsync(response, Service, ct);
        return await response.Content.ReadFromJsonAsync<CreatedKey>(AdminJson.Options, ct)
            ?? throw new HttpRequestException("Router.Worker answered an empty body to a key creation.");
    }

    /// <summary>Revokes a key.</summary>
    public async Task RevokeKeyAsync(string name, CancellationToken ct)
    {
        using var response = await http.DeleteAsync($"/api/keys/{Uri.EscapeDataString(name)}", ct);
        await ServiceErrors.EnsureSuccessAsync(response, Service, ct);
    }

    /// <summary>
    /// The validator's verdict: a 200 is valid; a 400/422 carries the errors, each naming its field, in whichever
    /// error shape the service uses (<see cref="ServiceErrors"/>). Anything else is an outage, thrown.
    /// </summary>
    private static async Task<ValidationResult> ReadValidationAsync(HttpResponseMessage response, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode)
        {
            return new ValidationResult { Valid = true };
        }
        if (!ServiceErrors.IsRefusal(response.StatusCode))
        {
            await ServiceErrors.EnsureSuccessAsync(response, Service, ct);
        }
        var errors = ServiceErrors.Read(await response.Content.ReadAsStringAsync(ct));
        return new ValidationResult { Valid = false, Errors = errors.Count > 0 ? errors : [new RoutingError("$", "Router.Worker refused the document without saying why")] };
    }
}

/// <summary>An alert raised by Router.Worker (health, quality, drift, budget).</summary>
public sealed record AlertItem
{
    [JsonConverter(typeof(StringOrNumberConverter))]
    public string Id { get; init; } = "";
    public string? Kind { get; init; }
    public string? Severity { get; init; }
    public string? Provider { get; init; }
    public string? Model { get; init; }
    public string? Message { get; init; }
    /// <summary>When it was raised.</summary>
    public DateTimeOffset? CreatedAt { get; init; }
    public DateTimeOffset? AcknowledgedAt { get; init; }
    /// <summary>Who acknowledged it (the <c>x-switchboard-author</c> header; "admin" by default).</summary>
    public string? AcknowledgedBy { get; init; }

    /// <summary>When it was raised.</summary>
    [JsonIgnore]
    public DateTimeOffset? At => CreatedAt;

    /// <summary>True until acknowledged.</summary>
    [JsonIgnore]
    public bool IsActive => AcknowledgedAt is null;
}

/// <summary>Answer of <c>GET /api/quality</c>: the leader's scores now and the stored ones over the window.</summary>
public sealed record QualityView
{
    public IReadOnlyList<QualityScore> Current { get; init; } = [];
    public IReadOnlyList<QualityScore> History { get; init; } = [];
}

/// <summary>One quality measurement of a deployment (score null until something was measured).</summary>
public sealed record QualityScore
{
    public string Provider { get; init; } = "";
    public string Model { get; init; } = "";
    public DateTimeOffset At { get; init; }
    /// <summary>0..1: 0.6 x canary pass rate + 0.4 x structure pass rate.</summary>
    public double? Score { get; init; }
    public int CanaryRuns { get; init; }
    public int CanaryPassed { get; init; }
    public int Sampled { get; init; }
    public int StructureFailures { get; init; }
    /// <summary>0..1.</summary>
    public double TruncatedRate { get; init; }
    /// <summary>The model the upstream reported instead of the pinned one, when it drifted.</summary>
    public string? DriftModel { get; init; }
}

/// <summary>Quality score over time of one deployment, as the Quality page shows it.</summary>
public sealed record QualitySeries
{
    public string Provider { get; init; } = "";
    public string Model { get; init; } = "";
    /// <summary>The score now (the latest measurement when the leader has none yet).</summary>
    public double? Score { get; init; }
    /// <summary>The leader's measurement now, with canary and sampling counts.</summary>
    public QualityScore? Current { get; init; }
    public IReadOnlyList<QualityPoint> Points { get; init; } = [];

    /// <summary>
    /// One series per deployment in <paramref name="view"/> that has been measured at all (points oldest first);
    /// a deployment the leader tracks without a score yet is left out.
    /// </summary>
    public static IReadOnlyList<QualitySeries> From(QualityView view) =>
        [.. view.Current.Select(c => (c.Provider, c.Model))
            .Concat(view.History.Select(h => (h.Provider, h.Model)))
            .Distinct()
            .Select(d =>
            {
                var current = view.Current.FirstOrDefault(c => c.Provider == d.Provider && c.Model == d.Model);
                var points = view.History
                    .Where(h => h.Provider == d.Provider && h.Model == d.Model && h.Score is not null)
                    .OrderBy(h => h.At)
                    .Select(h => new QualityPoint { T = h.At, Score = h.Score!.Value })
                    .ToList();
                return new QualitySeries
                {
                    Provider = d.Provider,
                    Model = d.Model,
                    Current = current,
                    Score = current?.Score ?? points.LastOrDefault()?.Score,
                    Points = points,
                };
            })
            .Where(s => s.Score is not null || s.Points.Count > 0)];
}

/// <summary>One quality measurement.</summary>
public sealed record QualityPoint
{
    public DateTimeOffset T { get; init; }
    public double Score { get; init; }
}

/// <summary>A routing document version.</summary>
public sealed record RoutingVersion
{
    /// <summary>0 is the <c>--config</c> baseline.</summary>
    public long Version { get; init; }
    /// <summary>Absent for the baseline.</summary>
    public DateTimeOffset? CreatedAt { get; init; }
    public string? Author { get; init; }
    public string? Comment { get; init; }
    /// <summary>The version whose document a rollback republished.</summary>
    public long? RolledBackFrom { get; init; }
    /// <summary>True for the version in force.</summary>
    public bool Current { get; init; }
    /// <summary>The document as published (absent in version lists).</summary>
    public JsonElement? Document { get; init; }
}

/// <summary>Body of <c>POST /api/routing/publish</c>.</summary>
public sealed record PublishRequest(JsonElement Document, string? Comment);

/// <summary>Outcome of a publish: the new version, or the validation errors.</summary>
public sealed record PublishResult(RoutingVersion? Version, IReadOnlyList<RoutingError> Errors);

/// <summary>Answer of <c>POST /api/routing/validate</c> (the client's view: errors read from any error shape).</summary>
public sealed record ValidationResult
{
    public bool Valid { get; init; }
    public IReadOnlyList<RoutingError> Errors { get; init; } = [];
}

/// <summary>A gateway key as the key API lists it.</summary>
public sealed record GatewayKeyInfo
{
    public string Name { get; init; } = "";
    public IReadOnlyList<string>? Models { get; init; }
    public int? RequestsPerMinute { get; init; }
    public int? TokensPerMinute { get; init; }
    public decimal? BudgetUsd { get; init; }
    public DateTimeOffset? CreatedAt { get; init; }
    public bool Revoked { get; init; }
    public DateTimeOffset? RevokedAt { get; init; }
    /// <summary>Spend settled in the gateways' shared budget ledger; null when Router.Worker could not read it.</summary>
    public decimal? SpentUsd { get; init; }
    /// <summary>Held by requests in flight.</summary>
    public decimal? ReservedUsd { get; init; }
}

/// <summary>Body of <c>POST /api/keys</c>.</summary>
public sealed record CreateKeyRequest(string Name, IReadOnlyList<string>? Models, int? RequestsPerMinute, int? TokensPerMinute, decimal? BudgetUsd);

/// <summary>Answer of <c>POST /api/keys</c>: the key, shown once.</summary>
public sealed record CreatedKey
{
    public string Name { get; init; } = "";
    public string Key { get; init; } = "";
    public IReadOnlyList<string>? Models { get; init; }
    public int? RequestsPerMinute { get; init; }
    public int? TokensPerMinute { get; init; }
    public decimal? BudgetUsd { get; init; }
    public DateTimeOffset? CreatedAt { get; init; }
}

/// <summary>Reads an id the service may send as a number or a string.</summary>
public sealed class StringOrNumberConverter : JsonConverter<string>
{
    public override string Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType switch
        {
            JsonTokenType.Number => Encoding.UTF8.GetString(reader.ValueSpan),
            JsonTokenType.String => reader.GetString() ?? "",
            _ => throw new JsonException($"expected a string or a number, got {reader.TokenType}"),
        };

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);
}
