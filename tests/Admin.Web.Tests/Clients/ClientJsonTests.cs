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
            .On("POST /api/routing/validate", """{"valid":true,"errors":[]}""");
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
    public async Task An_alert_is_active_until_acknowledged()
    {
        var (_, router, http) = Clients();
        http.On("GET /api/alerts", """
            [{"id":17,"kind":"health","severity":"critical","provider":"openai","model":"gpt-4o","message":"down","createdAt":"2026-03-14T11:00:00Z","acknowledgedAt":null,"acknowledgedBy":null},
             {"id":18,"kind":"drift","severity":"warning","provider":"openai","model":"gpt-4o","message":"drift","createdAt":"2026-03-14T11:05:00Z","acknowledgedAt":"2026-03-14T11:06:00Z","acknowledgedBy":"ops"}]
            """);

        var alerts = await router.GetAlertsAsync(CancellationToken.None);

        Assert.Equal(["17", "18"], alerts.Select(a => a.Id));
        Assert.Equal([true, false], alerts.Select(a => a.IsActive));
        Assert.Equal("ops", alerts[1].AcknowledgedBy);
        Assert.Equal(new DateTimeOffset(2026, 3, 14, 11, 0, 0, TimeSpan.Zero), alerts[0].At);
    }

    [Theory]
    [InlineData("""{"error":{"message":"routes.chat.strategy: unknown strategy 'fastest'","type":"invalid_request_error","param":"routes.chat.strategy","code":null}}""")]
    [InlineData("""{"valid":false,"errors":[{"field":"routes.chat.strategy","message":"unknown strategy 'fastest'"}]}""")]
    [InlineData("""{"title":"One or more validation errors occurred.","status":400,"errors":{"routes.chat.strategy":["unknown strategy 'fastest'"]}}""")]
    public async Task A_refused_document_names_the_field_whichever_error_shape_the_service_answers(string body)
    {
        var (_, router, http) = Clients();
        http.On("POST /api/routing/validate", body, HttpStatusCode.BadRequest);

        var result = await router.ValidateRoutingAsync("""{"routes":{}}""", CancellationToken.None);

        Assert.False(result.Valid);
        var error = Assert.Single(result.Errors);
        Assert.Equal("routes.chat.strategy", error.Field);
        Assert.Contains("fastest", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refused_key_says_which_field_and_why()
    {
        var (_, router, http) = Clients();
        http.On("POST /api/keys", """{"type":"https://tools.ietf.org/html/rfc9110#section-15.5.1","title":"One or more validation errors occurred.","status":400,"errors":{"budgetUsd":["must be zero or positive"]}}""", HttpStatusCode.BadRequest);

        var ex = await Assert.ThrowsAsync<HttpRequestException>(() => router.CreateKeyAsync(new CreateKeyRequest("k", null, null, null, -1), CancellationToken.None));

        Assert.Equal(HttpStatusCode.BadRequest, ex.StatusCode);
        Assert.Equal("Router.Worker answered 400: budgetUsd: must be zero or positive", ex.Message);
    }

    [Fact]
    public async Task A_metrics_error_in_the_openai_shape_becomes_the_page_message()
    {
        var (metrics, _, http) = Clients();
        http.On("GET /api/sla", """{"error":{"message":"the window may be at most 400 days","type":"invalid_request_error","param":"from","code":null}}""", HttpStatusCode.BadRequest);
        var window = new TimeWindow(DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddDays(500));

        var ex = await Assert.ThrowsAsync<HttpRequestException>(() => metrics.GetSlaAsync(window, "provider", CancellationToken.None));

        Assert.Equal("Metrics.Service answered 400: from: the window may be at most 400 days", ex.Message);
    }

    [Fact]
    public async Task A_request_missing_from_the_log_has_no_attempts_rather_than_an_error()
    {
        var (metrics, _, http) = Clients();
        http.On("GET /api/requests/", """{"error":{"message":"No request r-1 in the request log.","type":"not_found_error","param":null,"code":null}}""", HttpStatusCode.NotFound);

        Assert.Empty(await metrics.GetAttemptsAsync("r-1", CancellationToken.None));
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
