using System.Collections.Concurrent;
using System.Net;

namespace Switchboard.Gateway.Configuration;

/// <summary>
/// One long-lived <see cref="SocketsHttpHandler"/> per provider (YARP style): no resilience handler (the attempt
/// pipeline owns retries and timeouts), no cookies, no proxy discovery, no redirects, no decompression (bytes are
/// relayed as they come). Kept across routing reloads while the provider's base URL is unchanged.
/// </summary>
internal sealed class ProviderClients : IDisposable
{
    private readonly ConcurrentDictionary<string, HttpMessageInvoker> _invokers = new(StringComparer.Ordinal);

    public HttpMessageInvoker Get(string provider, Uri baseUrl) =>
        _invokers.GetOrAdd($"{provider}|{baseUrl.GetLeftPart(UriPartial.Authority)}", static _ => Create());

    internal static HttpMessageInvoker Create() => new(new SocketsHttpHandler
    {
        UseProxy = false,
        UseCookies = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        ConnectTimeout = TimeSpan.FromSeconds(10),
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(90),
        PooledConnectionLifetime = TimeSpan.FromMinutes(10),
        EnableMultipleHttp2Connections = true,
        MaxConnectionsPerServer = int.MaxValue,
        ResponseDrainTimeout = TimeSpan.FromSeconds(2),
    }, disposeHandler: true);

    public void Dispose()
    {
        foreach (var invoker in _invokers.Values)
        {
            invoker.Dispose();
        }
        _invokers.Clear();
    }
}
