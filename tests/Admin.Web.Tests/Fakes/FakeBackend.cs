using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Switchboard.Contracts.Routing;

namespace Switchboard.Admin.Tests.Fakes;

/// <summary>
/// A real Kestrel server on loopback answering Metrics.Service's and Router.Worker's documented APIs with canned,
/// stateful data (routing versions, keys, alerts), and refusing any call without the admin bearer key.
/// Stands in for the real services until they land; Admin.Web reaches it through its service-discovery config.
/// </summary>
public sealed class FakeBackend : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Lock _gate = new();
    private readonly List<JsonObject> _versions = [];
    private readonly List<JsonObject> _keys = [];
    private readonly List<JsonObject> _alerts = [];
    private readonly ConcurrentDictionary<string, string> _states = new();

    public CannedData Data { get; }
    public string AdminKey { get; }
    public string Url { get; private set; } = "";
    public bool HasTraffic { get; set; } = true;
    public ConcurrentQueue<string> Requests { get; } = new();
    public int Unauthorized;

    private FakeBackend(string adminKey, DateTimeOffset now)
    {
        AdminKey = adminKey;
        Data = new CannedData(now);
        _versions.Add(Version(1, CannedData.InitialDocument, "baseline from --config", now.AddDays(-1)));
        _keys.Add(new JsonObject { ["name"] = "team-a", ["models"] = new JsonArray("chat"), ["requestsPerMinute"] = 600, ["budgetUsd"] = 10m, ["createdAt"] = now.AddDays(-7).ToString("O"), ["revoked"] = false });
        _alerts.Add(new JsonObject { ["id"] = 17, ["kind"] = "drift", ["severity"] = "warning", ["provider"] = "gemini", ["model"] = CannedData.Models["gemini"], ["message"] = "upstream answered as gemini-1.5-pro-latest", ["createdAt"] = now.AddMinutes(-12).ToString("O"), ["acknowledgedAt"] = null, ["acknowledgedBy"] = null });

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.Use(async (context, next) =>
        {
            Requests.Enqueue($"{context.Request.Method} {context.Request.Path}{context.Request.QueryString}");
            if (context.Request.Headers.Authorization != $"Bearer {AdminKey}")
            {
                Interlocked.Increment(ref Unauthorized);
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                return;
            }
            await next(context);
        });
        Map(_app);
    }

    public static async Task<FakeBackend> StartAsync(string adminKey, DateTimeOffset now)
    {
        var backend = new FakeBackend(adminKey, now);
        await backend._app.StartAsync();
        backend.Url = backend._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return backend;
    }

    public void SetHealth(string provider, string state) => _states[provider] = state;

    public IReadOnlyList<string> RequestsTo(string pathPrefix) => Requests.Where(r => r.Contains(pathPrefix, StringComparison.Ordinal)).ToList();

    private static JsonObject Version(long v, string document, string comment, DateTimeOffset at) => new()
    {
        ["version"] = v,
        ["createdAt"] = at.ToString("O"),
        ["author"] = "admin",
        ["comment"] = comment,
        ["document"] = JsonNode.Parse(document),
    };

    /// <summary>Metrics.Service's status filter: an exact code ("503") or a class ("5xx").</summary>
    private static bool StatusMatches(int code, string filter) =>
        filter.Length == 3 && filter.EndsWith("xx", StringComparison.OrdinalIgnoreCase)
            ? code / 100 == filter[0] - '0'
            : int.TryParse(filter, CultureInfo.InvariantCulture, out var exact) && code == exact;

    private static IResult Json(JsonNode node, int status = 200) => Results.Text(node.ToJsonString(), "application/json", statusCode: status);

    private void Map(WebApplication app)
    {
        app.MapGet("/api/sla", (string groupBy) => Json(HasTraffic ? Data.Sla(groupBy) : new JsonArray()));
        app.MapGet("/api/slo", () => Json(HasTraffic ? CannedData.Slo() : new JsonArray()));
        app.MapGet("/api/slo/alerts", () => Json(HasTraffic ? Data.SloAlerts() : new JsonArray()));
        app.MapGet("/api/cascade", () => Json(HasTraffic ? Data.Cascade() : new JsonArray()));
        app.MapGet("/api/cost", (string groupBy) => Json(HasTraffic ? CannedData.Cost(groupBy) : new JsonArray()));
        app.MapGet("/api/timeseries", (DateTimeOffset from, DateTimeOffset to) => Json(HasTraffic ? CannedData.TimeSeries(from, to) : new JsonArray()));
        app.MapGet("/api/requests", (string? provider, string? route, string? key, string? status) =>
        {
            var rows = HasTraffic ? Data.Attempts() : [];
            var ids = rows.Where(r => (provider is null || (string?)r["provider"] == provider)
                                      && (route is null || (string?)r["route"] == route)
                                      && (key is null || (string?)r["keyName"] == key)
                                      && (status is null || StatusMatches((int)r["status"]!, status)))
                .Select(r => (string?)r["requestId"]).ToHashSet();
            // Filters select attempts; the log returns every attempt of the requests they match, newest first.
            return Json(new JsonArray(rows.Where(r => ids.Contains((string?)r["requestId"])).Reverse().Select(r => (JsonNode)r.DeepClone()).ToArray()));
        });
        app.MapGet("/api/requests/{id}", (string id) =>
            Json(new JsonArray(Data.Attempts().Where(r => (string?)r["requestId"] == id).Select(r => (JsonNode)r.DeepClone()).ToArray())));

        app.MapGet("/api/health", () => Json(Data.Health(_states)));
        app.MapGet("/api/quality", () => Json(Data.Quality()));
        app.MapGet("/api/alerts", () => { lock (_gate) { return Json(new JsonArray(_alerts.Select(a => (JsonNode)a.DeepClone()).ToArray())); } });
        app.MapPost("/api/alerts/{id}/ack", (string id) =>
        {
            lock (_gate)
            {
                var alert = _alerts.FirstOrDefault(a => a["id"]!.ToString() == id);
                if (alert is null)
                {
                    return Results.NotFound();
                }
                alert["acknowledgedBy"] = "admin";
                alert["acknowledgedAt"] = Data.Now.ToString("O");
                return Results.NoContent();
            }
        });

        app.MapGet("/api/routing/current", () => { lock (_gate) { return Json(_versions[^1].DeepClone()); } });
        app.MapGet("/api/routing/versions", () =>
        {
            lock (_gate)
            {
                return Json(new JsonArray(_versions.AsEnumerable().Reverse().Select(v =>
                {
                    var copy = v.DeepClone().AsObject();
                    copy.Remove("document");
                    return (JsonNode)copy;
                }).ToArray()));
            }
        });
        app.MapGet("/api/routing/versions/{v:long}", (long v) =>
        {
            lock (_gate)
            {
                var found = _versions.FirstOrDefault(x => (long)x["version"]! == v);
                return found is null ? Results.NotFound() : Json(found.DeepClone());
            }
        });
        app.MapPost("/api/routing/validate", async (HttpRequest request) =>
        {
            using var reader = new StreamReader(request.Body);
            return Validation(await reader.ReadToEndAsync());
        });
        app.MapPost("/api/routing/publish", async (HttpRequest request) =>
        {
            var body = (await JsonNode.ParseAsync(request.Body))!.AsObject();
            var document = body["document"]!.ToJsonString();
            var errors = RoutingDocumentValidator.Parse(document).Errors;
            if (errors.Count > 0)
            {
                return Validation(document);
            }
            lock (_gate)
            {
                var version = Version(_versions.Count + 1, document, (string?)body["comment"] ?? "", Data.Now);
                _versions.Add(version);
                var answer = version.DeepClone().AsObject();
                answer.Remove("document");
                return Json(answer, StatusCodes.Status201Created);
            }
        });
        app.MapPost("/api/routing/rollback/{v:long}", (long v) =>
        {
            lock (_gate)
            {
                var found = _versions.FirstOrDefault(x => (long)x["version"]! == v);
                if (found is null)
                {
                    return Results.NotFound();
                }
                var version = Version(_versions.Count + 1, found["document"]!.ToJsonString(), $"rollback to {v}", Data.Now);
                _versions.Add(version);
                return Json(version.DeepClone());
            }
        });

        app.MapGet("/api/keys", () => { lock (_gate) { return Json(new JsonArray(_keys.Select(k => (JsonNode)k.DeepClone()).ToArray())); } });
        app.MapPost("/api/keys", async (HttpRequest request) =>
        {
            var body = (await JsonNode.ParseAsync(request.Body))!.AsObject();
            lock (_gate)
            {
                var name = (string?)body["name"];
                if (string.IsNullOrEmpty(name) || _keys.Any(k => (string?)k["name"] == name))
                {
                    return Results.Problem($"a key named '{name}' exists", statusCode: 409);
                }
                var key = body.DeepClone().AsObject();
                key["createdAt"] = Data.Now.ToString("O");
                key["revoked"] = false;
                _keys.Add(key);
                var answer = key.DeepClone().AsObject();
                answer["key"] = "sk-sb-" + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());
                return Json(answer, StatusCodes.Status201Created);
            }
        });
        app.MapDelete("/api/keys/{name}", (string name) =>
        {
            lock (_gate)
            {
                var key = _keys.FirstOrDefault(k => (string?)k["name"] == name);
                if (key is null)
                {
                    return Results.NotFound();
                }
                key["revoked"] = true;
                key["revokedAt"] = Data.Now.ToString("O");
                return Results.NoContent();
            }
        });
    }

    private static IResult Validation(string document)
    {
        var errors = RoutingDocumentValidator.Parse(document).Errors;
        var body = new JsonObject
        {
            ["valid"] = errors.Count == 0,
            ["errors"] = new JsonArray(errors.Select(e => (JsonNode)new JsonObject { ["field"] = e.Field, ["message"] = e.Message }).ToArray()),
        };
        return Json(body, errors.Count == 0 ? 200 : 400);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
