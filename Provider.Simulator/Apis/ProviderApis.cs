using Switchboard.Simulator.Anthropic;
using Switchboard.Simulator.Gemini;
using Switchboard.Simulator.OpenAi;
using Switchboard.Simulator.Serving;

namespace Switchboard.Simulator.Apis;

// The simulated provider APIs, each under /{name}, in the protocol of the profile's type. Handlers are plain request
// delegates: the pipeline writes the response itself (paced SSE, faults), so no result types or model binding.
internal static class ProviderApis
{
    private static readonly OpenAiDialect OpenAi = new();
    private static readonly AnthropicDialect Anthropic = new();
    private static readonly GeminiDialect Gemini = new();

    public static IEndpointRouteBuilder MapProviderApis(this IEndpointRouteBuilder app)
    {
        // The runner is a singleton: resolved once here, not from the request's services on every request.
        var runner = app.ServiceProvider.GetRequiredService<ExchangeRunner>();
        RequestDelegate chatCompletions = context => runner.RunAsync(context, OpenAi);
        RequestDelegate messages = context => runner.RunAsync(context, Anthropic);
        RequestDelegate generateContent = context => runner.RunAsync(context, Gemini);
        app.MapPost("/{name}/v1/chat/completions", chatCompletions);
        app.MapGet("/{name}/v1/models", OpenAiModels.ListAsync);
        app.MapPost("/{name}/v1/messages", messages);
        // Gemini: models/{model}:generateContent and :streamGenerateContent, under v1beta and v1.
        app.MapPost("/{name}/v1beta/models/{" + GeminiDialect.TargetRouteValue + "}", generateContent);
        app.MapPost("/{name}/v1/models/{" + GeminiDialect.TargetRouteValue + "}", generateContent);
        return app;
    }
}
