using System.Globalization;
using Switchboard.Testing.Stack;

namespace Switchboard.Faults.Tests;

/// <summary>The client's view of one fault: every request's result, and the figures the assertions compare.</summary>
public sealed record FaultRun(string Task, IReadOnlyList<RequestResult> Results, TimeSpan Duration)
{
    public IEnumerable<RequestResult> Clients => Results.Where(r => !r.Intruder);
    public IEnumerable<RequestResult> Intruders => Results.Where(r => r.Intruder);

    /// <summary>Requests that got no proper answer: an error, a broken body, or for a wrong key anything but a 401.</summary>
    public IReadOnlyList<RequestResult> Failed => [.. Results.Where(r => !r.Ok && !Admitted(r))];

    /// <summary>Requests with a wrong key that were let through.</summary>
    public IReadOnlyList<RequestResult> IntrudersAdmitted => [.. Intruders.Where(Admitted)];

    private static bool Admitted(RequestResult r) => r.Intruder && r.Status is >= 200 and < 300;

    /// <summary>Outcome events the gateways must have emitted: one per attempt of every answered request.</summary>
    public long ExpectedEvents(Func<RequestResult, bool>? where = null) =>
        Clients.Where(r => r.Status != 0 && (where?.Invoke(r) ?? true)).Sum(r => (long)r.Attempts);

    public long Answered(Func<RequestResult, bool>? where = null) =>
        Clients.Count(r => r.Status != 0 && (where?.Invoke(r) ?? true));

    public string Summary()
    {
        var ok = Clients.Where(r => r.Ok).Select(r => r.Latency.TotalMilliseconds).Order().ToArray();
        var p99 = ok.Length == 0 ? double.NaN : ok[Math.Min(ok.Length - 1, (int)Math.Ceiling(ok.Length * 0.99) - 1)];
        return string.Create(CultureInfo.InvariantCulture,
            $"{Task}: {Results.Count} requests in {Duration.TotalSeconds:F0} s ({Results.Count / Duration.TotalSeconds:F0}/s), " +
            $"{Clients.Count(r => r.Ok)} ok, {Failed.Count} failed, {Clients.Count(r => r.ConnectRetries > 0)} retried on the other replica, " +
            $"{Intruders.Count()} intruders ({IntrudersAdmitted.Count} admitted), p99 {p99:F0} ms, " +
            $"{Clients.Count(r => r.Stream)} streamed");
    }

    public string Failures(int max = 8) =>
        string.Join("\n", Failed.Concat(IntrudersAdmitted).Take(max).Select(r => string.Create(CultureInfo.InvariantCulture,
            $"  #{r.Index} replica {r.Replica} (first {r.FirstReplica}) at {r.StartedAt.TotalSeconds:F2} s, stream {r.Stream}: {r.Error}")));
}
