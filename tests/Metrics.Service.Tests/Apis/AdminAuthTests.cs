using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Switchboard.Metrics.Tests.Infrastructure;

namespace Switchboard.Metrics.Tests.Apis;

public sealed class AdminAuthTests(MetricsServiceFixture fixture) : IClassFixture<MetricsServiceFixture>
{
    [Theory]
    [InlineData("/api/sla")]
    [InlineData("/api/requests")]
    [InlineData("/api/requests/some-id")]
    [InlineData("/api/cost")]
    [InlineData("/api/slo")]
    [InlineData("/api/timeseries")]
    public async Task Api_without_the_admin_key_is_401_with_an_OpenAI_style_error(string path)
    {
        using var client = fixture.Factory.CreateClient();
        using var response = await client.GetAsync(path);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("authentication_error", body.RootElement.GetProperty("error").GetProperty("type").GetString());
    }

    [Theory]
    [InlineData("wrong")]
    [InlineData(MetricsServiceFixture.AdminKey + "x")]
    [InlineData("")]
    public async Task Api_with_a_wrong_admin_key_is_401(string key)
    {
        using var client = fixture.Factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var response = await client.GetAsync("/api/sla");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Health_needs_no_key_and_api_with_the_key_answers()
    {
        using var anonymous = fixture.Factory.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await fixture.Client.GetAsync("/api/sla")).StatusCode);
    }

    [Theory]
    [InlineData("/api/sla?from=yesterday")]
    [InlineData("/api/sla?groupBy=colour")]
    [InlineData("/api/sla?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z")]
    [InlineData("/api/requests?limit=0")]
    [InlineData("/api/requests?status=abc")]
    [InlineData("/api/timeseries?step=7s")]
    public async Task Bad_parameters_are_400_not_500(string path)
    {
        using var response = await fixture.Client.GetAsync(path);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("invalid_request_error", body.RootElement.GetProperty("error").GetProperty("type").GetString());
    }
}
