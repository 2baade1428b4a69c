using Bunit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using MudBlazor.Services;
using Switchboard.Admin.Clients;
using Switchboard.Admin.Tests.Fakes;

namespace Switchboard.Admin.Tests.Components;

/// <summary>A bUnit context with MudBlazor, a fake clock and both service clients answering from a <see cref="FakeHttpHandler"/>.</summary>
public abstract class AdminComponentTest : BunitContext, IAsyncLifetime
{
    protected static readonly DateTimeOffset Now = new(2026, 3, 14, 12, 0, 0, TimeSpan.Zero);

    protected FakeTimeProvider Time { get; } = new(Now);
    protected FakeHttpHandler Http { get; } = new();

    protected AdminComponentTest()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        Services.AddSingleton<TimeProvider>(Time);
        Services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        Services.AddSingleton(typeof(ILogger<>), typeof(NullLogger<>));
        Services.AddSingleton<IConfiguration>(new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["services:gateway:http:0"] = "http://gateway.test:8080" })
            .Build());
        Services.AddSingleton(new MetricsClient(new HttpClient(Http, disposeHandler: false) { BaseAddress = new Uri("http://metrics") }));
        Services.AddSingleton(new RouterClient(new HttpClient(Http, disposeHandler: false) { BaseAddress = new Uri("http://router") }));
    }

    public Task InitializeAsync() => Task.CompletedTask;

    // MudBlazor's services are only IAsyncDisposable: the container must be disposed asynchronously.
    async Task IAsyncLifetime.DisposeAsync() => await base.DisposeAsync();

    /// <summary>The query string value of <paramref name="name"/> in the last request to <paramref name="prefix"/>.</summary>
    protected string? LastQuery(string prefix, string name)
    {
        var last = Http.Requests.Last(r => $"{r.Method} {r.PathAndQuery}".StartsWith(prefix, StringComparison.Ordinal));
        var query = System.Web.HttpUtility.ParseQueryString(new Uri("http://x" + last.PathAndQuery).Query);
        return query[name];
    }
}
