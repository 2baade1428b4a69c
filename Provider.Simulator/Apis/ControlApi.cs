using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Switchboard.Simulator.Profiles;

namespace Switchboard.Simulator.Apis;

internal sealed record ProviderView(string Name, ProviderProfile Profile, StatsView Stats);

internal sealed record ControlError(string Error);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(ProfilePatch))]
[JsonSerializable(typeof(ProviderView))]
[JsonSerializable(typeof(ProviderView[]))]
[JsonSerializable(typeof(StatsView))]
[JsonSerializable(typeof(ControlError))]
internal sealed partial class SimulatorJsonContext : JsonSerializerContext;

// Control API (/_sim): profiles and statistics, for tests and benchmarks.
internal static partial class ControlApi
{
    public static RouteGroupBuilder MapControlApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/_sim");
        group.MapGet("/providers", List);
        group.MapGet("/providers/{name}", Get);
        group.MapPut("/providers/{name}", Put);
        group.MapGet("/providers/{name}/stats", GetStats);
        group.MapDelete("/providers/{name}/stats", ResetStats);
        group.MapPost("/reset", Reset);
        return group;
    }

    public static Ok<ProviderView[]> List(ProfileStore store) =>
        TypedResults.Ok(store.All.Select(View).ToArray());

    public static Results<Ok<ProviderView>, NotFound<ControlError>> Get(string name, ProfileStore store) =>
        store.TryGet(name, out var state) ? TypedResults.Ok(View(state)) : TypedResults.NotFound(Unknown(name));

    public static async Task<Results<Ok<ProviderView>, BadRequest<ControlError>>> Put(
        string name, HttpRequest request, ProfileStore store, ILogger<ProfileStore> logger)
    {
        ProfilePatch? patch;
        try
        {
            patch = await JsonSerializer.DeserializeAsync(request.Body, SimulatorJsonContext.Default.ProfilePatch, request.HttpContext.RequestAborted);
        }
        catch (JsonException ex)
        {
            return TypedResults.BadRequest(new ControlError($"Invalid profile: {ex.Message}"));
        }

        var problem = store.Apply(name, patch ?? new ProfilePatch(), out var state);
        if (problem is not null || state is null)
        {
            return TypedResults.BadRequest(new ControlError(problem ?? "invalid profile"));
        }

        LogProfileSet(logger, name, state.Profile.Type);
        return TypedResults.Ok(View(state));
    }

    public static Results<Ok<StatsView>, NotFound<ControlError>> GetStats(string name, ProfileStore store) =>
        store.TryGet(name, out var state) ? TypedResults.Ok(state.Stats.Snapshot()) : TypedResults.NotFound(Unknown(name));

    public static Results<NoContent, NotFound<ControlError>> ResetStats(string name, ProfileStore store)
    {
        if (!store.TryGet(name, out var state))
        {
            return TypedResults.NotFound(Unknown(name));
        }

        state.Stats.Reset();
        return TypedResults.NoContent();
    }

    public static NoContent Reset(ProfileStore store)
    {
        store.Reset();
        return TypedResults.NoContent();
    }

    private static ProviderView View(ProviderState state) => new(state.Name, state.Profile, state.Stats.Snapshot());

    private static ControlError Unknown(string name) => new($"No simulated provider named '{name}'.");

    [LoggerMessage(Level = LogLevel.Information, Message = "Simulated provider {Provider} ({Type}) set through the control API")]
    private static partial void LogProfileSet(ILogger logger, string provider, string type);
}
