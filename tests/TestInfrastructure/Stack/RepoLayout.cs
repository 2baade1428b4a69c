namespace Switchboard.Testing.Stack;

/// <summary>Where the built services are: the repository root above this assembly, and the same build configuration.</summary>
public static class RepoLayout
{
    public static string Root { get; } = FindRoot();

    /// <summary>Release when this assembly was built in Release, else Debug.</summary>
    public static string Configuration { get; } =
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";

    /// <summary>The built dll of a service project, e.g. <c>Gateway.Api</c>.</summary>
    public static string Dll(string project)
    {
        var dll = Path.Combine(Root, project, "bin", Configuration, "net10.0", project + ".dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"Build {project} ({Configuration}) first", dll);
    }

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Aspire.sln")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("Aspire.sln not found above " + AppContext.BaseDirectory);
    }
}
