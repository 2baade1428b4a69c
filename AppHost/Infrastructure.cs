using System.Diagnostics;

namespace Switchboard.AppHost;

/// <summary>
/// Redis and PostgreSQL: Aspire containers where a container runtime answers (and always when publishing,
/// so azd deploys them to Azure Container Apps), else connection strings to local servers that eng/setup.sh
/// installs and starts. A single container resource without a running engine makes the whole app fail
/// after ~30 s, so the choice is made before any resource is added. Force it with
/// <c>Switchboard:Infrastructure=containers|local</c>.
/// </summary>
internal sealed record Infrastructure(
    IResourceBuilder<IResourceWithConnectionString> Redis,
    IResourceBuilder<IResourceWithConnectionString> MetricsDb,
    IResourceBuilder<IResourceWithConnectionString> ControlDb,
    IResourceBuilder<IResource>[] Servers)
{
    public static Infrastructure Add(IDistributedApplicationBuilder builder)
    {
        if (UseContainers(builder))
        {
            var redis = builder.AddRedis("redis");
            var postgres = builder.AddPostgres("postgres").WithDataVolume();
            return new Infrastructure(
                redis,
                postgres.AddDatabase("metricsdb"),
                postgres.AddDatabase("controldb"),
                [redis, postgres]);
        }

        builder.AddConnectionString("postgres");
        return new Infrastructure(
            builder.AddConnectionString("redis"),
            builder.AddConnectionString("metricsdb"),
            builder.AddConnectionString("controldb"),
            []);
    }

    /// <summary>Containers are waited for; plain connection strings cannot be (MACHINE.md).</summary>
    public void WaitForServers(params IResourceBuilder<ProjectResource>[] projects)
    {
        foreach (var project in projects)
        {
            foreach (var server in Servers)
            {
                project.WaitFor(server);
            }
        }
    }

    private static bool UseContainers(IDistributedApplicationBuilder builder)
    {
        if (builder.ExecutionContext.IsPublishMode)
        {
            return true;
        }
        return builder.Configuration["Switchboard:Infrastructure"]?.ToLowerInvariant() switch
        {
            "containers" => true,
            "local" => false,
            _ => ContainerRuntimeAnswers(),
        };
    }

    private static bool ContainerRuntimeAnswers()
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo("docker", "version --format {{.Server.Version}}")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            });
            if (process is null)
            {
                return false;
            }
            if (!process.WaitForExit(TimeSpan.FromSeconds(5)))
            {
                process.Kill(entireProcessTree: true);
                return false;
            }
            return process.ExitCode == 0 && process.StandardOutput.ReadToEnd().Trim().Length > 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false; // no docker client at all
        }
    }
}
