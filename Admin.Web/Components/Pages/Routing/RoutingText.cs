using System.Text;
using System.Text.Json;
using DiffPlex.DiffBuilder;
using DiffPlex.DiffBuilder.Model;
using Switchboard.Contracts.Routing;

namespace Switchboard.Admin.Components.Pages.Routing;

/// <summary>The routing document as text: pretty-printing, local validation and line diffs between versions.</summary>
public static class RoutingText
{
    // ${NAME} in a provider's baseUrl is filled in by each service from its own configuration; any URL will do here.
    private const string PlaceholderUrl = "http://variable.invalid";

    /// <summary>Indented JSON of a document as the service sent it.</summary>
    public static string Pretty(JsonElement document)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            document.WriteTo(writer);
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>
    /// The errors the gateway's own validator finds, each naming its field; syntax errors carry line and position.
    /// Router.Worker validates again before publishing: this only answers sooner.
    /// </summary>
    public static IReadOnlyList<RoutingError> Validate(string json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return [new RoutingError("$", "the document is empty")];
        }
        return RoutingDocumentValidator.Parse(json, _ => PlaceholderUrl).Errors;
    }

    /// <summary>The document parsed for the readable table, or null when it does not parse.</summary>
    public static RoutingDocument? TryParse(JsonElement document)
    {
        try
        {
            return document.Deserialize(RoutingDocumentJson.Default.RoutingDocument);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Line diff from <paramref name="before"/> to <paramref name="after"/>.</summary>
    public static IReadOnlyList<DiffLine> Diff(string before, string after) =>
        InlineDiffBuilder.Diff(before, after, ignoreWhiteSpace: false).Lines
            .Select(l => new DiffLine(l.Type switch
            {
                ChangeType.Inserted => DiffKind.Added,
                ChangeType.Deleted => DiffKind.Removed,
                _ => DiffKind.Same,
            }, l.Text ?? ""))
            .ToList();
}

/// <summary>One line of a diff.</summary>
public sealed record DiffLine(DiffKind Kind, string Text);

/// <summary>Whether a line was added, removed or kept.</summary>
public enum DiffKind
{
    Same,
    Added,
    Removed,
}
