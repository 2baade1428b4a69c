using System.Text.Json;
using System.Text.Json.Nodes;

namespace Switchboard.Gateway.Tests.Infrastructure;

/// <summary>Builds routing documents for tests.</summary>
public sealed class RoutingJson
{
    private readonly JsonObject _providers = [];
    private readonly JsonObject _routes = [];
    private JsonArray? _keys;
    private JsonObject? _prices;

    public RoutingJson Provider(string name, string type, string baseUrl, string? apiKey = null)
    {
        var p = new JsonObject { ["type"] = type, ["baseUrl"] = baseUrl };
        if (apiKey is not null)
        {
            p["apiKey"] = apiKey;
        }
        _providers[name] = p;
        return this;
    }

    public RoutingJson Route(string name, IEnumerable<(string Provider, string Model)> targets, int? firstTokenTimeoutMs = null, int attemptTimeoutMs = 10_000, int maxAttempts = 3, int? requestTimeoutMs = null, string? strategy = null)
    {
        var t = new JsonArray();
        foreach (var (provider, model) in targets)
        {
            var target = new JsonObject { ["provider"] = provider, ["model"] = model };
            if (Switchboard.Contracts.Routing.RoutingDocumentValidator.IsFloatingAlias(model))
            {
                target["allowFloating"] = true;
            }
            t.Add(target);
        }
        var r = new JsonObject { ["targets"] = t, ["attemptTimeoutMs"] = attemptTimeoutMs, ["maxAttempts"] = maxAttempts };
        if (firstTokenTimeoutMs is { } ft)
        {
            r["firstTokenTimeoutMs"] = ft;
        }
        if (requestTimeoutMs is { } rt)
        {
            r["requestTimeoutMs"] = rt;
        }
        if (strategy is not null)
        {
            r["strategy"] = strategy;
        }
        _routes[name] = r;
        return this;
    }

    public RoutingJson Key(string name, string key, string[]? models = null, int? requestsPerMinute = null)
    {
        _keys ??= [];
        var k = new JsonObject { ["name"] = name, ["key"] = key };
        if (models is not null)
        {
            k["models"] = new JsonArray([.. models.Select(m => (JsonNode)m)]);
        }
        if (requestsPerMinute is { } rpm)
        {
            k["requestsPerMinute"] = rpm;
        }
        _keys.Add(k);
        return this;
    }

    public RoutingJson Price(string model, decimal input, decimal output)
    {
        _prices ??= [];
        _prices[model] = new JsonObject { ["inputPerMTok"] = input, ["outputPerMTok"] = output };
        return this;
    }

    public override string ToString()
    {
        var doc = new JsonObject { ["providers"] = _providers.DeepClone(), ["routes"] = _routes.DeepClone() };
        if (_keys is not null)
        {
            doc["keys"] = _keys.DeepClone();
        }
        if (_prices is not null)
        {
            doc["prices"] = _prices.DeepClone();
        }
        return doc.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }
}
