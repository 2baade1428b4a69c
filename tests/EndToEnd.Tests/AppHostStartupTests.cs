namespace Switchboard.EndToEnd.Tests;

[Collection(AppHostCollection.Name)]
public sealed class AppHostStartupTests(AppHostFixture fixture)
{
    [Theory]
    [InlineData("simulator")]
    [InlineData("gateway")]
    [InlineData("router")]
    [InlineData("metrics")]
    [InlineData("admin")]
    public async Task Every_resource_answers_health_and_alive(string resource)
    {
        using var http = fixture.App.CreateHttpClient(resource);
        using var health = await http.GetAsync("/health");
        using var alive = await http.GetAsync("/alive");
        Assert.Equal(System.Net.HttpStatusCode.OK, health.StatusCode);
        Assert.Equal("Healthy", await health.Content.ReadAsStringAsync());
        Assert.Equal(System.Net.HttpStatusCode.OK, alive.StatusCode);
    }
}
