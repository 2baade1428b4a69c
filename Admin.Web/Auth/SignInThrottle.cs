using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace Switchboard.Admin.Auth;

/// <summary>Failed admin-key sign-ins allowed per client address (<c>Switchboard:SignIn</c>).</summary>
public sealed class SignInThrottleOptions
{
    public const string Section = "Switchboard:SignIn";

    /// <summary>Failed sign-ins one client address may make per <see cref="Window"/> before it must wait.</summary>
    public int MaxFailures { get; set; } = 5;

    /// <summary>The window the failures count in; the wait ends when it does.</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(5);
}

/// <summary>
/// Slows down guessing of the admin key: a fixed window of failed sign-ins per client address
/// (System.Threading.RateLimiting). Only failures spend permits, so an operator who types the key right is never
/// held back by colleagues on the same address; once a client has used them all, every sign-in from it (even with
/// the right key, which is not checked meanwhile) gets 429 until the window ends. Behind a reverse proxy the address
/// is the proxy's unless the forwarded headers are configured.
/// </summary>
public sealed class SignInThrottle : IDisposable
{
    private readonly PartitionedRateLimiter<string> _failures;
    private readonly TimeSpan _window;

    public SignInThrottle(IOptions<SignInThrottleOptions> options)
    {
        var o = options.Value;
        _window = o.Window;
        _failures = PartitionedRateLimiter.Create<string, string>(client => RateLimitPartition.GetFixedWindowLimiter(client, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = Math.Max(1, o.MaxFailures),
            Window = o.Window,
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
    }

    /// <summary>True while <paramref name="client"/> has no failed attempt left in this window.</summary>
    public bool IsLockedOut(string client)
    {
        // Zero permits: a probe that succeeds while at least one permit is left and spends nothing.
        using var probe = _failures.AttemptAcquire(client, 0);
        return !probe.IsAcquired;
    }

    /// <summary>Counts a failed sign-in; false when it was the one too many (the client is now locked out).</summary>
    public bool RecordFailure(string client)
    {
        using var lease = _failures.AttemptAcquire(client, 1);
        return lease.IsAcquired;
    }

    /// <summary>What the sign-in page tells a locked-out client.</summary>
    public string LockedOutMessage =>
        $"Too many failed sign-ins from your address. Wait {Describe(_window)} and try again.";

    /// <summary>The client key of a request: its remote address.</summary>
    public static string ClientOf(HttpContext context) => context.Connection.RemoteIpAddress?.ToString() ?? "unknown";

    private static string Describe(TimeSpan window) => window.TotalMinutes >= 1
        ? $"up to {Math.Ceiling(window.TotalMinutes):0} minute{(Math.Ceiling(window.TotalMinutes) == 1 ? "" : "s")}"
        : $"up to {Math.Ceiling(window.TotalSeconds):0} seconds";

    public void Dispose() => _failures.Dispose();
}
