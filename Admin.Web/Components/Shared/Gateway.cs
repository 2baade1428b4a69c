using Microsoft.Extensions.Configuration;

namespace Switchboard.Admin.Components.Shared;

/// <summary>Where the gateway is, for empty states that tell the operator where to send traffic.</summary>
public static class Gateway
{
    public static string ChatCompletionsUrl(IConfiguration configuration)
    {
        var baseUrl = configuration["services:gateway:http:0"] ?? configuration["services:gateway:https:0"];
        return baseUrl is null ? "the gateway's /v1/chat/completions" : $"{baseUrl.TrimEnd('/')}/v1/chat/completions";
    }
}
