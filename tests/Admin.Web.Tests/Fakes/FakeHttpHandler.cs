using System.Collections.Concurrent;
using System.Net;
using System.Text;

namespace Switchboard.Admin.Tests.Fakes;

/// <summary>For bUnit tests only: answers canned JSON by path and records every request (method, path and query, body).</summary>
public sealed class FakeHttpHandler : HttpMessageHandler
{
    private readonly ConcurrentDictionary<string, Func<HttpRequestMessage, (HttpStatusCode Status, string Json)>> _routes = new();

    public ConcurrentQueue<(string Method, string PathAndQuery, string? Body, string? Authorization)> Requests { get; } = new();

    /// <summary>Answers requests whose "METHOD /path" starts with <paramref name="key"/> (longest match wins).</summary>
    public FakeHttpHandler On(string key, string json, HttpStatusCode status = HttpStatusCode.OK) => On(key, _ => (status, json));

    public FakeHttpHandler On(string key, Func<HttpRequestMessage, (HttpStatusCode, string)> answer)
    {
        _routes[key] = answer;
        return this;
    }

    public int Count(string prefix) => Requests.Count(r => $"{r.Method} {r.PathAndQuery}".StartsWith(prefix, StringComparison.Ordinal));

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken);
        var target = $"{request.Method} {request.RequestUri!.PathAndQuery}";
        Requests.Enqueue((request.Method.Method, request.RequestUri.PathAndQuery, body, request.Headers.Authorization?.ToString()));
        var route = _routes.Keys.Where(k => target.StartsWith(k, StringComparison.Ordinal)).OrderByDescending(k => k.Length).FirstOrDefault();
        var (status, json) = route is null ? (HttpStatusCode.NotFound, "{}") : _routes[route](request);
        return new HttpResponseMessage(status) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
    }
}
