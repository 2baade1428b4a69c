using Switchboard.Contracts.Routing;
using Switchboard.Gateway.Routing;

namespace Switchboard.Gateway.Cascades;

/// <summary>A cascade route's settings for one request: the route's, with the task's overrides applied.</summary>
internal sealed record CascadePolicy(string Scorer, double MinConfidence, IReadOnlyList<string>? AllowedAnswers, string? JudgeRoute, bool Streaming)
{
    /// <summary>Used only when neither the route nor the task names one (the validator asks routes for it).</summary>
    public const double DefaultMinConfidence = 0.8;

    public static CascadePolicy For(RequestState state)
    {
        var document = state.Config.Document;
        var route = document.Routes.TryGetValue(state.Route.Name, out var r) ? r : new RouteConfig();
        var task = state.Task is { } name && document.Tasks.TryGetValue(name, out var t) && t.Route == state.Route.Name ? t : null;
        return new(
            task?.Scorer ?? route.Scorer ?? Scorers.Logprobs,
            task?.MinConfidence ?? route.MinConfidence ?? DefaultMinConfidence,
            task?.AllowedAnswers ?? route.AllowedAnswers,
            route.JudgeRoute,
            route.CascadeStreaming);
    }
}
