namespace Switchboard.Admin.Components.Shared;

/// <summary>Attribute bags for components that take their element attributes as a dictionary (MudTable).</summary>
public static class Aria
{
    public static Dictionary<string, object> Label(string label) => new Dictionary<string, object> { ["aria-label"] = label };
}
