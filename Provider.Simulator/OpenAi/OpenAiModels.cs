using Switchboard.Simulator.Profiles;
using Switchboard.Simulator.Wire;

namespace Switchboard.Simulator.OpenAi;

// GET /{name}/v1/models: the profile's model list in OpenAI's list shape.
internal static class OpenAiModels
{
    // A fixed creation time keeps the answer byte-for-byte repeatable.
    private const long Created = 1_715_367_049;
    private static readonly OpenAiDialect Dialect = new();

    public static async Task ListAsync(HttpContext context)
    {
        var store = context.RequestServices.GetRequiredService<ProfileStore>();
        var name = (string)context.Request.RouteValues["name"]!;
        var dialect = Dialect;
        using var body = new PooledBufferWriter(1024);
        var response = context.Response;
        if (!store.TryGet(name, out var state) || state.Profile.Type != ProviderTypes.OpenAi)
        {
            dialect.WriteError(body, 404, $"No simulated openai provider named '{name}'.");
            response.StatusCode = 404;
        }
        else if (dialect.CheckHeaders(context.Request, state.Profile) is { } refusal)
        {
            dialect.WriteError(body, refusal.Status, refusal.Message);
            response.StatusCode = refusal.Status;
        }
        else
        {
            using var w = Json.Writer(body);
            w.WriteStartObject();
            w.WriteString("object", "list");
            w.WriteStartArray("data");
            foreach (var model in state.Profile.Models)
            {
                w.WriteStartObject();
                w.WriteString("id", model);
                w.WriteString("object", "model");
                w.WriteNumber("created", Created);
                w.WriteString("owned_by", name);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        response.ContentType = "application/json";
        response.ContentLength = body.WrittenCount;
        await response.BodyWriter.WriteAsync(body.WrittenMemory, context.RequestAborted);
    }
}
