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
        app.MapPost("/{name}/v1/chat/completions", ChatCompletions);
        app.MapGet("/{name}/v1/models", OpenAiModels.ListAsync);
        app.MapPost("/{name}/v1/messages", Messages);
        // Gemini: models/{model}:generateContent and :streamGenerateContent, under v1beta and v1.
        app.MapPost("/{name}/v1beta/models/{" + GeminiDialect.TargetRouteValue + "}", GenerateContent);
        app.MapPost("/{name}/v1/models/{" + GeminiDialect.TargetRouteValue + "}", GenerateContent);
        return app;
    }

    private static Task ChatCompletions(HttpContext context) => Runner(context).RunAsync(context, OpenAi);

    private static Task Messages(HttpContext context) => Runner(context).RunAsync(context, Anthropic);

    private static Task GenerateContent(HttpContext context) => Runner(context).RunAsync(context, Gemini);

    private static ExchangeRunner Runner(HttpContext context) => context.RequestServices.GetRequiredService<ExchangeRunner>();
}
