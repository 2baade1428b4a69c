using DotNet.Testcontainers.Configurations;

namespace Switchboard.Testing;

/// <summary>Whether a Docker engine answers; without one, fixtures start local servers instead of containers.</summary>
public static class Containers
{
    /// <summary>
    /// True when Testcontainers found a Docker endpoint. Building a container without one throws within ~15 ms;
    /// this check is cheaper and lets fixtures choose a local server process instead of skipping tests.
    /// </summary>
    public static bool DockerAvailable { get; } = Detect();

    private static bool Detect()
    {
        if (Environment.GetEnvironmentVariable("SWITCHBOARD_TEST_SERVERS") == "local")
        {
            return false;
        }
        try
        {
            return TestcontainersSettings.OS.DockerEndpointAuthConfig is not null;
        }
        catch (Exception)
        {
            return false;
        }
    }
}
