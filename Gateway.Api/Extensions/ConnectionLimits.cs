using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Switchboard.Gateway.Extensions;

/// <summary>
/// Limits on slow and idle clients. Kestrel's own defaults stand (request headers within 30 s, request bodies at
/// 240 bytes/s after a 5 s grace, idle keep-alive connections closed after 130 s), plus a ceiling on open
/// connections so that a crowd of idle sockets cannot exhaust the process. Every scalar limit can be set under
/// <c>Kestrel:Limits</c> (environment <c>Kestrel__Limits__RequestHeadersTimeout=00:00:10</c>, ...), which Kestrel
/// does not bind from configuration by itself.
/// </summary>
internal static class ConnectionLimits
{
    public const long DefaultMaxConcurrentConnections = 10_000;

    public static void AddConnectionLimits(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var limits = builder.Configuration.GetSection("Kestrel:Limits");
        builder.Services.Configure<KestrelServerOptions>(options =>
        {
            options.Limits.MaxConcurrentConnections = DefaultMaxConcurrentConnections;
            limits.Bind(options.Limits);
        });
    }
}
