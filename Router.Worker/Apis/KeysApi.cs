using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
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
    public static async Task<Results<Created<CreatedKey>, ValidationProblem, Conflict<ProblemDetails>>> CreateKey(
        CreateKeyRequest request, GatewayKeyStore store, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (Invalid(request) is { } problem)
        {
            return problem;
        }
        var created = await store.CreateAsync(request, ct);
        return created is null
            ? TypedResults.Conflict(new ProblemDetails { Title = "Conflict", Detail = $"a key named '{request.Name}' exists", Status = 409 })
            : TypedResults.Created($"/api/keys/{Uri.EscapeDataString(created.Name)}", created);
    }

    public static async Task<Results<NoContent, NotFound, ValidationProblem>> UpdateKey(
        string name, CreateKeyRequest request, GatewayKeyStore store, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        request = request with { Name = name };
        if (Invalid(request) is { } problem)
        {
            return problem;
        }
        return await store.UpdateAsync(request, ct) ? TypedResults.NoContent() : TypedResults.NotFound();
    }

    public static async Task<Results<NoContent, NotFound>> RevokeKey(string name, GatewayKeyStore store, CancellationToken ct) =>
        await store.RevokeAsync(name, ct) ? TypedResults.NoContent() : TypedResults.NotFound();

    public static Task<Results<NoContent, NotFound>> RevokeKeyByQuery(string name, GatewayKeyStore store, CancellationToken ct) =>
        RevokeKey(name, store, ct);

    private static ValidationProblem? Invalid(CreateKeyRequest r)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(r.Name) || r.Name.Length > 100)
        {
            errors["name"] = ["a name of 1 to 100 characters is required"];
        }
        if (r.RequestsPerMinute is <= 0)
        {
            errors["requestsPerMinute"] = ["must be positive"];
        }
        if (r.TokensPerMinute is <= 0)
        {
            errors["tokensPerMinute"] = ["must be positive"];
        }
        if (r.BudgetUsd is < 0)
        {
            errors["budgetUsd"] = ["must be zero or positive"];
        }
        return errors.Count == 0 ? null : TypedResults.ValidationProblem(errors);
    }
}
