using Switchboard.Admin.Tests.Fakes;

namespace Switchboard.Admin.Tests.Browser;

/// <summary>
/// Admin.Web in front of <see cref="FakeBackend"/>: only for what the real stack cannot produce on demand (a deployment
/// going down and back within seconds, model drift alerts, canary scores, a hedged request's timeline, hedge and
/// retry cost shares). Everything an operator does daily runs against the real services in <see cref="StackFixture"/>.
/// </summary>
public sealed class BrowserFixture : BrowserHost
{
    public const string Key = "browser-admin-key-0123456789abcdef";

    public FakeBackend Backend { get; private set; } = default!;

    public override string AdminKey => Key;

    protected override async Task StartBackendAsync()
    {
        Backend = await FakeBackend.StartAsync(Key, DateTimeOffset.UtcNow);
        App = new AdminWebFactory(Backend);
        BaseUrl = App.StartKestrel();
    }

    protected override async Task StopBackendAsync()
    {
        if (Backend is not null)
        {
            await Backend.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>
{
    public const string Name = "browser";
}
