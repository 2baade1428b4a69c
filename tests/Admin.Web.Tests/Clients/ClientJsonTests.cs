using System.Net;
using Switchboard.Admin.Clients;
using Switchboard.Admin.Tests.Fakes;

namespace Switchboard.Admin.Tests.Clients;

public sealed class ClientJsonTests
{
    private static (MetricsClient Metrics, RouterClient Router, FakeHttpHandler Http) Clients()
    {
        var http = new FakeHttpHandler();
        return (new MetricsClient(new HttpClient(http) { BaseAddress = new Uri("http://metrics") }),
                new RouterClient(new HttpClient(http) { BaseAddress = new Uri("http://router") }), http);
    }

    [Fact]
    public async Task Fields_a_service_leaves_out_keep_their_defaults()
    {
        var (metrics, router, http) = Clients();
        http.On("GET /api/timeseries", """[{"group":"openai"}]""")
            .On("GET /api/sla", """[{"group":"openai","requests":3}]""")
            .On("POST /api/routing/validate", """{"valid":true}""");
        var window = new TimeWindow(DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddHours(1));

        var series = Assert.Single(await metrics.GetTimeSeriesAsync(window, "provider", CancellationToken.None));
        var sla = Assert.Single(await metrics.GetSlaAsync(window, "provider", CancellationToken.None));
        var validation = await router.ValidateRoutingAsync("{}", CancellationToken.None);

        Assert.Empty(series.Points);
        Assert.Null(sla.LatencyMs.P95);
        Assert.True(validation.Valid);
        Assert.Empty(validation.Errors);
    }

    [Fact]
    public async Task Alert_ids_may_be_numbers_or_strings()
    {
        var (_, router, http) = Clients();
        http.On("GET /api/alerts", """[{"id":17},{"id":"a-2","acknowledged":true}]""");

        var alerts = await router.GetAlertsAsync(CancellationToken.None);

        Assert.Equal(["17", "a-2"], alerts.Select(a => a.Id));
        Assert.Equal([true, false], alerts.Select(a => a.IsActive));
    }

    [Fact]
    public async Task A_refused_publish_returns_the_field_errors()
    {
        var (_, router, http) = Clients();
        http.On("POST /api/routing/publish", """{"valid":false,"errors":[{"field":"routes.chat.targets","message":"a route needs at least one target"}]}""", HttpStatusCode.BadRequest);

        var result = await router.PublishRoutingAsync("""{"routes":{}}""", "c", CancellationToken.None);

        Assert.Null(result.Version);
        Assert.Equal("routes.chat.targets", Assert.Single(result.Errors).Field);
    }
}
