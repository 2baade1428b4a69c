using System.Net;
using System.Text.Json;
using Switchboard.Contracts.Routing;

namespace Switchboard.Admin.Clients;

/// <summary>
/// Turns a refused call into a message an operator can act on. The services answer errors in the OpenAI shape
/// (<c>{"error":{"message","type","param","code"}}</c>); older Router.Worker endpoints answered a ProblemDetails
/// (<c>{"title","detail","errors":{"field":["..."]}}</c>) or a validation view (<c>{"valid":false,"errors":[{"field","message"}]}</c>).
/// All three are read, so the page names the field whichever the service sends.
/// </summary>
public static class ServiceErrors
{
    /// <summary>Throws an <see cref="HttpRequestException"/> carrying the service's own message unless the call succeeded.</summary>
    public static async Task EnsureSuccessAsync(HttpResponseMessage response, string service, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }
        var body = await response.Content.ReadAsStringAsync(ct);
        var errors = Read(body);
        var detail = errors.Count > 0
            ? string.Join("; ", errors.Select(e => e.Field is "$" or "" ? e.Message : $"{e.Field}: {e.Message}"))
            : response.ReasonPhrase ?? "no detail";
        throw new HttpRequestException($"{service} answered {(int)response.StatusCode}: {detail}", null, response.StatusCode);
    }

    /// <summary>The errors of a body in any of the three shapes, each with the field it names ("$" when none).</summary>
    public static IReadOnlyList<RoutingError> Read(string body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return [];
        }
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return [];
            }
            var errors = new List<RoutingError>();
            if (root.TryGetProperty("errors", out var list))
            {
                if (list.ValueKind == JsonValueKind.Array)
                {
                    errors.AddRange(list.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.Object).Select(e =>
                        new RoutingError(Text(e, "field") ?? Text(e, "param") ?? "$", Text(e, "message") ?? "invalid")));
                }
                else if (list.ValueKind == JsonValueKind.Object)
                {
                    foreach (var field in list.EnumerateObject())
                    {
                        var messages = field.Value.ValueKind == JsonValueKind.Array
                            ? field.Value.EnumerateArray().Select(m => m.ToString())
                            : [field.Value.ToString()];
                        errors.AddRange(messages.Select(m => new RoutingError(field.Name, m)));
                    }
                }
            }
            if (errors.Count == 0 && root.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
            {
                errors.Add(new RoutingError(Text(error, "param") ?? "$", Text(error, "message") ?? Text(error, "type") ?? "refused"));
            }
            if (errors.Count == 0 && (Text(root, "detail") ?? Text(root, "title")) is { } problem)
            {
                errors.Add(new RoutingError("$", problem));
            }
            return errors;
        }
        catch (JsonException)
        {
            return [new RoutingError("$", body.Length > 300 ? body[..300] : body)];
        }
    }

    /// <summary>True for a 400 or 422: the input was refused, so its errors are for the operator, not an outage.</summary>
    public static bool IsRefusal(HttpStatusCode status) => status is HttpStatusCode.BadRequest or HttpStatusCode.UnprocessableEntity;

    private static string? Text(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
