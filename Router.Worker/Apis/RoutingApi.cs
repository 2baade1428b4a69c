using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Switchboard.Contracts.Routing;
using Switchboard.Router.Routing;

namespace Switchboard.Router.Apis;

/// <summary>A routing document version with its content (<c>document</c> is the JSON as written).</summary>
internal sealed record RoutingVersionView(long Version, string Author, string? Comment, DateTimeOffset? CreatedAt, long? RolledBackFrom, bool Current, JsonNode? Document);

/// <summary>Answer of validate (and of a refused publish).</summary>
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

    public static async Task<Results<Ok<RoutingVersionView>, NotFound>> GetVersion(long version, RoutingVersionStore store, RoutingState state, CancellationToken ct)
    {
        if (version == 0)
        {
            return SafeBaseline(state) is { } text
                ? TypedResults.Ok(new RoutingVersionView(0, "baseline", "the --config file", null, null, state.Current.Version == 0, Node(text)))
                : TypedResults.NotFound();
        }
        var v = await store.GetAsync(version, ct);
        return v is null
            ? TypedResults.NotFound()
            : TypedResults.Ok(new RoutingVersionView(v.Version, v.Author, v.Comment, v.CreatedAt, v.RolledBackFrom, state.Current.Version == v.Version, Node(v.Content!)));
    }

    /// <summary>Body: the document JSON (or <c>{"document": ...}</c>). The gateway's validator decides.</summary>
    public static async Task<Results<Ok<ValidationView>, BadRequest<ValidationView>>> Validate(HttpRequest request, RoutingState state)
    {
        var (text, _, _, error) = await ReadAsync(request);
        var errors = error is not null ? [error] : state.Parse(text!).Errors;
        return errors.Count == 0
            ? TypedResults.Ok(new ValidationView(true, []))
            : TypedResults.BadRequest(new ValidationView(false, errors));
    }

    /// <summary>Body: <c>{"document": {...}, "comment": "...", "author": "..."}</c>, or the document itself.</summary>
    public static async Task<Results<Ok<RoutingVersionView>, BadRequest<ValidationView>>> Publish(HttpRequest request, RoutingPublisher publisher, CancellationToken ct)
    {
        var (text, comment, author, error) = await ReadAsync(request);
        if (error is not null)
        {
            return TypedResults.BadRequest(new ValidationView(false, [error]));
        }
        var result = await publisher.PublishAsync(text!, author ?? AlertsApi.Author(request), comment ?? request.Query["comment"], null, ct);
        return result.Version is { } v
            ? TypedResults.Ok(new RoutingVersionView(v.Version, v.Author, v.Comment, v.CreatedAt, v.RolledBackFrom, true, null))
            : TypedResults.BadRequest(new ValidationView(false, result.Errors));
    }

    /// <summary>Publishes the content of an earlier version (0: the baseline) as a new version.</summary>
    public static async Task<Results<Ok<RoutingVersionView>, NotFound, BadRequest<ValidationView>>> Rollback(
        long version, HttpRequest request, RoutingPublisher publisher, CancellationToken ct)
    {
        var result = await publisher.RollbackAsync(version, AlertsApi.Author(request), ct);
        if (result is null)
        {
            return TypedResults.NotFound();
        }
        return result.Version is { } v
            ? TypedResults.Ok(new RoutingVersionView(v.Version, v.Author, v.Comment, v.CreatedAt, v.RolledBackFrom, true, null))
            : TypedResults.BadRequest(new ValidationView(false, result.Errors));
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

    private static JsonNode? Node(string text)
    {
        try
        {
            return JsonNode.Parse(text, documentOptions: Lenient);
        }
        catch (JsonException)
        {
            return JsonValue.Create(text);
        }
    }
}
