using System.Globalization;

namespace Switchboard.Bench;

/// <summary>Command-line options shared by the suites.</summary>
internal sealed record BenchOptions
{
    public required string Suite { get; init; }
    public required string RepoRoot { get; init; }
    public string Configuration { get; init; } = "Release";
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);
    public int Connections { get; init; } = 64;
    public int Rate { get; init; } = 500;
    public int StreamSamples { get; init; } = 300;
    /// <summary>Measured rounds per target (gateway suite); each round visits every target in turn.</summary>
    public int Rounds { get; init; } = 3;
    public bool SkipPortkey { get; init; }
    /// <summary>Gateway suite: what the targets forward to, <c>nginx</c> (the simulator's answers replayed) or <c>simulator</c>.</summary>
    public string Upstream { get; init; } = "nginx";
    public string? Output { get; init; }

    /// <summary>Path of a built project's dll (built by this project's references, same configuration).</summary>
    public string Dll(string project, string? folder = null)
    {
        var dir = folder is null ? Path.Combine(RepoRoot, project) : Path.Combine(RepoRoot, folder, project);
        return Path.Combine(dir, "bin", Configuration, "net10.0", project + ".dll");
    }

    public static BenchOptions Parse(string[] args)
    {
        var suite = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "gateway";
        string? Value(string name)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        }
        var root = Value("--repo") ?? FindRepoRoot();
        var rounds = int.Parse(Value("--rounds") ?? "3", CultureInfo.InvariantCulture);
        if (rounds < 1) throw new ArgumentException("--rounds must be at least 1");
        var upstream = Value("--upstream") ?? "nginx";
        if (upstream is not ("nginx" or "simulator")) throw new ArgumentException("--upstream must be nginx or simulator");
        return new BenchOptions
        {
            Suite = suite,
            RepoRoot = root,
            Configuration = Value("--configuration") ?? "Release",
            Duration = TimeSpan.FromSeconds(int.Parse(Value("--seconds") ?? "10", CultureInfo.InvariantCulture)),
            Connections = int.Parse(Value("--connections") ?? "64", CultureInfo.InvariantCulture),
            Rate = int.Parse(Value("--rate") ?? "500", CultureInfo.InvariantCulture),
            StreamSamples = int.Parse(Value("--streams") ?? "300", CultureInfo.InvariantCulture),
            Rounds = rounds,
            SkipPortkey = args.Contains("--no-portkey"),
            Upstream = upstream,
            Output = Value("--out"),
        };
    }

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Aspire.sln")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("run from inside the repository or pass --repo");
    }
}
