using Switchboard.Simulator.Tests.Infrastructure;

namespace Switchboard.Simulator.Tests.Hosting;

[Collection(SimulatorCollection.Name)]
public sealed class HealthTests(SimulatorServer server)
{
    [Fact]
    public async Task Health_answers_healthy()
    {
        _ = server.BaseAddress;
        Assert.Equal("Healthy", await server.Http.GetStringAsync("/health"));
        Assert.Equal("Healthy", await server.Http.GetStringAsync("/alive"));
    }
}
