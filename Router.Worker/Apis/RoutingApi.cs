using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Switchboard.Contracts.Routing;
using Switchboard.Router.Routing;

namespace Switchboard.Router.Apis;

/// <summary>A routing document version with its content (<c>document</c> is the JSON as written).</summary>
internal sealed record RoutingVersionView(long Version, string Author, string? Comment, DateTimeOffset? CreatedAt, long? RolledBackFrom, bool Current, JsonNode? Document);

/// <summary>Answer of a valid validate (an invalid one is an <see cref="ApiError"/> with <c>valid</c> and <c>errors</c>).</summary>
internal sealed record ValidationView(bool Valid, IReadOnlyList<RoutingError> Errors);

internal static class RoutingApi
{
    private static readonly JsonDocumentOptions Lenient = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    public static RouteGroupBuilder MapRoutingApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/routing").AddEndpointFilter<AdminKeyFilter>();
        api.MapGet("/current", GetCurrent);
        api.MapGet("/versions", GetVersions);
        api.MapGet("/versions/{version:long}", GetVersion);
        api.MapPost("/validate", Validate);
        api.MapPost("/publish", Publish);
        api.MapPost("/rollback/{version:long}", Rollback);
        return api;
    }

    /// <summary>Documents leave with literal keys masked (<see cref="SecretMask"/>); publishing the mask back keeps them.</summary>
    public static Ok<RoutingVersionView> GetCurrent(RoutingState state)
    {
        var current = state.Current;
        return TypedResults.Ok(new RoutingVersionView(current.Version, current.Version == 0 ? "baseline" : "admin", null, null, null, true, Node(current.Text)));
    }

    /// <summary>Newest first; version 0 is the <c>--config</c> baseline when there is one.</summary>
    public static async Task<Ok<List<RoutingVersionView>>> GetVersions(RoutingVersionStore store, RoutingState state, CancellationToken ct)
    {
        var current = state.Current.Version;
        var list = (await store.ListAsync(ct))
            .Select(v => new RoutingVersionView(v.Version, v.Author, v.Comment, v.CreatedAt, v.RolledBackFrom, v.Version == current, null))
            .ToList();
        if (SafeBaseline(state) is not null)
        {
            list.Add(new(0, "baseline", "the --config file", null, null, current == 0, null));
        }
        return TypedResults.Ok(list);
    }

    public static async Task<Results<Ok<RoutingVersionView>, JsonHttpResult<ApiError>>> GetVersion(long version, RoutingVersionStore store, RoutingState state, CancellationToken ct)
    {
        if (version == 0)
        {
            return SafeBaseline(state) is { } text
                ? TypedResults.Ok(new RoutingVersionView(0, "baseline", "the --config file", null, null, state.Current.Version == 0, Node(text)))
                : ApiErrors.NotFound("there is no baseline routing document (--config, SWITCHBOARD_CONFIG or Switchboard:RoutingJson)");
        }
        var v = await store.GetAsync(version, ct);
        return v is null
            ? ApiErrors.NotFound($"routing document version {version} does not exist")
            : TypedResults.Ok(new RoutingVersionView(v.Version, v.Author, v.Comment, v.CreatedAt, v.RolledBackFrom, state.Current.Version == v.Version, Node(v.Content!)));
    }

    /// <summary>Body: the document JSON (or <c>{"document": ...}</c>). The gateway's validator decides; masked keys count as the stored ones.</summary>
    public static async Task<Results<Ok<ValidationView>, JsonHttpResult<ApiError>>> Validate(HttpRequest request, RoutingState state)
    {
        var (text, _, _, error) = await ReadAsync(request);
        if (error is not null)
        {
            return ApiErrors.Invalid([error]);
        }
        var (unmasked, maskErrors) = SecretMask.Unmask(text!, state.Current.Text);
        var errors = maskErrors.Count > 0 ? maskErrors : state.Parse(unmasked).Errors;
        return errors.Count == 0 ? TypedResults.Ok(new ValidationView(true, [])) : ApiErrors.Invalid(errors);
    }

    /// <summary>
    /// Body: <c>{"document": {...}, "comment": "...", "author": "..."}</c>, or the document itself. A key sent as the
    /// mask (as <c>GET</c> showed it) keeps the key the current document has in that place.
    /// </summary>
    public static async Task<Results<Ok<RoutingVersionView>, JsonHttpResult<ApiError>>> Publish(
        HttpRequest request, RoutingPublisher publisher, RoutingState state, CancellationToken ct)
    {
        var (text, comment, author, error) = await ReadAsync(request);
        if (error is not null)
        {
            return ApiErrors.Invalid([error]);
        }
        var (unmasked, maskErrors) = SecretMask.Unmask(text!, state.Current.Text);
        if (maskErrors.Count > 0)
        {
            return ApiErrors.Invalid(maskErrors);
        }
        var result = await publisher.PublishAsync(unmasked, author ?? AlertsApi.Author(request), comment ?? request.Query["comment"], null, ct);
        return result.Version is { } v
            ? TypedResults.Ok(new RoutingVersionView(v.Version, v.Author, v.Comment, v.CreatedAt, v.RolledBackFrom, true, null))
            : ApiErrors.Invalid(result.Errors);
    }

    /// <summary>Publishes the content of an earlier version (0: the baseline) as a new version.</summary>
    public static async Task<Results<Ok<RoutingVersionView>, JsonHttpResult<ApiError>>> Rollback(
        long version, HttpRequest request, RoutingPublisher publisher, CancellationToken ct)
    {
        var result = await publisher.RollbackAsync(version, AlertsApi.Author(request), ct);
        if (result is null)
        {
            return ApiErrors.NotFound($"routing document version {version} does not exist");
        }
        return result.Version is { } v
            ? TypedResults.Ok(new RoutingVersionView(v.Version, v.Author, v.Comment, v.CreatedAt, v.RolledBackFrom, true, null))
            : ApiErrors.Invalid(result.Errors);
    }

    private static async Task<(string? Text, string? Comment, string? Author, RoutingError? Error)> ReadAsync(HttpRequest request)
    {
        using var reader = new StreamReader(request.Body);
        var body = await reader.ReadToEndAsync(request.HttpContext.RequestAborted);
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(body, documentOptions: Lenient);
        }
        catch (JsonException ex)
        {
            return (null, null, null, new RoutingError("$", $"not valid JSON: {ex.Message}"));
        }
        // A routing document has no "document" field, so an envelope is unambiguous.
        if (node is JsonObject obj && obj.TryGetPropertyValue("document", out var doc))
        {
            var text = doc switch
            {
                JsonValue v when v.TryGetValue<string>(out var s) => s,
                null => "null",
                _ => doc.ToJsonString(),
            };
            return (text, (string?)obj["comment"], (string?)obj["author"], null);
        }
        return (body, null, null, null);
    }

    private static string? SafeBaseline(RoutingState state)
    {
        try
        {
            return state.BaselineText();
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>The document as JSON with literal keys masked; text that is not JSON is not shown at all (it could be a key).</summary>
    private static JsonNode? Node(string text)
    {
        try
        {
            return SecretMask.Mask(JsonNode.Parse(text, documentOptions: Lenient));
        }
        catch (JsonException)
        {
            return JsonValue.Create("(not valid JSON)");
        }
    }
}
