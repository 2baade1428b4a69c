using Microsoft.AspNetCore.Http.HttpResults;
using Switchboard.Router.Quality;

namespace Switchboard.Router.Apis;

/// <summary>Quality now (leader's live model) and over time (controldb).</summary>
internal sealed record QualityView(IReadOnlyList<QualityScore> Current, IReadOnlyList<QualityScore> History);

internal static class QualityApi
{
    public static RouteGroupBuilder MapQualityApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/quality").AddEndpointFilter<AdminKeyFilter>();
        api.MapGet("/", GetQuality);
        return api;
    }

    /// <summary><c>?from=&amp;to=</c> (ISO 8601; default the last 24 hours).</summary>
    public static async Task<Ok<QualityView>> GetQuality(
        QualityModel model, QualityStore store, TimeProvider time, CancellationToken ct, DateTimeOffset? from = null, DateTimeOffset? to = null)
    {
        var end = to ?? time.GetUtcNow();
        var start = from ?? end.AddHours(-24);
        return TypedResults.Ok(new QualityView(model.Scores(), await store.ListAsync(start, end, ct)));
    }
}
