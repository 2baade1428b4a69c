using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Switchboard.Contracts.Health;
using Switchboard.Gateway.Configuration;
using Switchboard.Gateway.Health;

namespace Switchboard.Gateway.Tests.Health;

public sealed class DeploymentHealthTests
{
    private readonly FakeTimeProvider _time = new();

    private DeploymentHealthTracker Tracker() =>
        new(_time, Options.Create(new GatewayOptions { CredentialRefusedMs = 60_000, CircuitFailureThreshold = 5, CircuitBreakMs = 30_000 }));

    [Fact]
    public void Own_p95_is_the_nearest_rank_over_the_last_64_first_tokens()
    {
        var health = Tracker();
        Assert.Null(health.TtftMs("p", "m"));
        for (var i = 1; i <= 100; i++)
        {
            health.Report("p", "m", AttemptSignal.Success, TimeSpan.FromMilliseconds(i), TimeSpan.FromMilliseconds(i));
        }
        // Samples 37..100 are kept; the 95th percentile of 64 values is the 61st: 97.
        Assert.Equal(97, health.TtftMs("p", "m"));
    }

    [Fact]
    public void The_snapshot_p95_wins_over_the_own_measurement()
    {
        var health = Tracker();
        health.Report("p", "m", AttemptSignal.Success, TimeSpan.FromMilliseconds(5), TimeSpan.FromMilliseconds(5));
        health.Report("p", "m2", AttemptSignal.Success, TimeSpan.FromMilliseconds(5), TimeSpan.FromMilliseconds(5));
        health.Apply(new HealthSnapshot
        {
            Version = 1,
            UpdatedAt = _time.GetUtcNow(),
            Deployments = [new DeploymentHealth
            {
                Provider = "p", Model = "m", State = HealthState.Healthy, Circuit = CircuitState.Closed,
                TtftMs = new Percentiles(100, 800, 1200), UpdatedAt = _time.GetUtcNow(),
            }],
        });
        Assert.Equal(800, health.TtftMs("p", "m"));
        // A deployment the snapshot does not know keeps its own measurement.
        Assert.Equal(5, health.TtftMs("p", "m2"));
    }

    [Fact]
    public void A_refused_credential_takes_every_model_of_the_provider_out_for_a_while()
    {
        var health = Tracker();
        health.Report("p", "m1", AttemptSignal.CredentialRefused, TimeSpan.Zero, null);
        Assert.False(health.IsAvailable("p", "m1"));
        Assert.False(health.IsAvailable("p", "m2"));
        Assert.True(health.IsAvailable("q", "m1"));
        _time.Advance(TimeSpan.FromSeconds(59));
        Assert.True(health.CredentialRefused("p"));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.False(health.CredentialRefused("p"));
        Assert.True(health.IsAvailable("p", "m2"));
    }

    [Fact]
    public void A_renewed_credential_is_tried_again_at_once()
    {
        var health = Tracker();
        health.Report("p", "m", AttemptSignal.CredentialRefused, TimeSpan.Zero, null);
        health.CredentialRenewed("p");
        Assert.True(health.IsAvailable("p", "m"));
    }
}
