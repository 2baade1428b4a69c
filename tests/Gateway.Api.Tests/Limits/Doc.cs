using System.Text.Json.Nodes;
using Switchboard.Gateway.Tests.Infrastructure;

namespace Switchboard.Gateway.Tests.Limits;

/// <summary>Adds the issue-5 fields (provider limits, key budgets and limits, cost caps, tasks) to a <see cref="RoutingJson"/> document.</summary>
internal sealed class Doc(RoutingJson doc)
{
    private readonly JsonObject _root = JsonNode.Parse(doc.ToString())!.AsObject();

    public Doc Provider(string name, string field, JsonNode value)
    {
        _root["providers"]![name]![field] = value;
        return this;
    }

    public Doc Route(string name, string field, JsonNode value)
    {
        _root["routes"]![name]![field] = value;
        return this;
    }

    public Doc Key(string name, string key, decimal? budgetUsd = null, int? requestsPerMinute = null)
    {
        var keys = _root["keys"]?.AsArray() ?? [];
        _root["keys"] = keys;
        var k = new JsonObject { ["name"] = name, ["key"] = key };
        if (budgetUsd is { } b)
        {
            k["budgetUsd"] = b;
        }
        if (requestsPerMinute is { } rpm)
        {
            k["requestsPerMinute"] = rpm;
        }
        keys.Add(k);
        return this;
    }

    public Doc Task(string name, string route, decimal? maxCostUsd = null)
    {
        var tasks = _root["tasks"]?.AsObject() ?? [];
        _root["tasks"] = tasks;
        var t = new JsonObject { ["route"] = route };
        if (maxCostUsd is { } m)
        {
            t["maxCostUsd"] = m;
        }
        tasks[name] = t;
        return this;
    }

    public override string ToString() => _root.ToJsonString();
}
