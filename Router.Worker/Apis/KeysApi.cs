using Microsoft.AspNetCore.Http.HttpResults;
using Switchboard.Router.Keys;

namespace Switchboard.Router.Apis;

internal static class KeysApi
{
    public static RouteGroupBuilder MapKeysApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/keys").AddEndpointFilter<AdminKeyFilter>();
        api.MapGet("/", GetKeys);
        api.MapPost("/", CreateKey);
        api.MapPut("/{name}", UpdateKey);
        api.MapDelete("/{name}", RevokeKey);
        api.MapDelete("/", RevokeKeyByQuery);
        return api;
    }

    public static async Task<Ok<IReadOnlyList<GatewayKeyInfo>>> GetKeys(GatewayKeyStore store, CancellationToken ct) =>
        TypedResults.Ok(await store.ListAsync(ct));

    /// <summary>201 with the key: the only time it is ever shown (only its salted hash is kept).</summary>
    public static async Task<Results<Created<CreatedKey>, JsonHttpResult<ApiError>>> CreateKey(
        CreateKeyRequest request, GatewayKeyStore store, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (Invalid(request) is { } problem)
        {
            return problem;
        }
        var created = await store.CreateAsync(request, ct);
        return created is null
            ? ApiErrors.Conflict($"a key named '{request.Name}' exists", "name")
            : TypedResults.Created($"/api/keys/{Uri.EscapeDataString(created.Name)}", created);
    }

    public static async Task<Results<NoContent, JsonHttpResult<ApiError>>> UpdateKey(
        string name, CreateKeyRequest request, GatewayKeyStore store, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        request = request with { Name = name };
        if (Invalid(request) is { } problem)
        {
            return problem;
        }
        return await store.UpdateAsync(request, ct) ? TypedResults.NoContent() : NoSuchKey(name);
    }

    public static async Task<Results<NoContent, JsonHttpResult<ApiError>>> RevokeKey(string name, GatewayKeyStore store, CancellationToken ct) =>
        await store.RevokeAsync(name, ct) ? TypedResults.NoContent() : NoSuchKey(name);

    public static Task<Results<NoContent, JsonHttpResult<ApiError>>> RevokeKeyByQuery(string name, GatewayKeyStore store, CancellationToken ct) =>
        RevokeKey(name, store, ct);

    private static JsonHttpResult<ApiError> NoSuchKey(string name) => ApiErrors.NotFound($"no gateway key named '{name}'");

    /// <summary>The first invalid field, named in <c>param</c>.</summary>
    private static JsonHttpResult<ApiError>? Invalid(CreateKeyRequest r)
    {
        if (string.IsNullOrWhiteSpace(r.Name) || r.Name.Length > 100)
        {
            return ApiErrors.BadRequest("name: a name of 1 to 100 characters is required", "name");
        }
        if (r.RequestsPerMinute is <= 0)
        {
            return ApiErrors.BadRequest("requestsPerMinute: must be positive", "requestsPerMinute");
        }
        if (r.TokensPerMinute is <= 0)
        {
            return ApiErrors.BadRequest("tokensPerMinute: must be positive", "tokensPerMinute");
        }
        if (r.BudgetUsd is < 0)
        {
            return ApiErrors.BadRequest("budgetUsd: must be zero or positive", "budgetUsd");
        }
        return null;
    }
}
