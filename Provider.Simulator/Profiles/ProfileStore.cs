using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Switchboard.Simulator.Profiles;

// Configuration: Simulator:Providers:{name} patches applied over the shipped profiles.
internal sealed class SimulatorOptions
{
    public const string Section = "Simulator";
    public Dictionary<string, ProfilePatch> Providers { get; set; } = new(StringComparer.Ordinal);
}

// The simulated providers by name. Reads are lock-free; only the control API writes.
internal sealed class ProfileStore
{
    private readonly ConcurrentDictionary<string, ProviderState> _providers = new(StringComparer.Ordinal);
    private readonly IReadOnlyDictionary<string, ProviderProfile> _baseline;
    private readonly TimeProvider _time;
    private readonly Lock _writes = new();

    public ProfileStore(IOptions<SimulatorOptions> options, TimeProvider time)
    {
        _time = time;
        var baseline = new Dictionary<string, ProviderProfile>(ShippedProfiles.All, StringComparer.Ordinal);
        foreach (var (name, patch) in options.Value.Providers)
        {
            var profile = patch.ApplyTo(baseline.GetValueOrDefault(name));
            var problem = ProfileValidator.Validate(profile);
            if (problem is not null)
            {
                throw new OptionsValidationException(SimulatorOptions.Section, typeof(SimulatorOptions), [$"Simulator:Providers:{name}: {problem}"]);
            }

            baseline[name] = profile;
        }

        _baseline = baseline;
        Reset();
    }

    public bool TryGet(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ProviderState? state) =>
        _providers.TryGetValue(name, out state);

    public IEnumerable<ProviderState> All => _providers.Values.OrderBy(p => p.Name, StringComparer.Ordinal);

    // Merges a patch into a provider (creating it); returns the problem instead when the result is invalid.
    public string? Apply(string name, ProfilePatch patch, out ProviderState? state)
    {
        // Control-plane writes are rare; serialising them keeps merge-then-swap atomic.
        lock (_writes)
        {
            var existing = _providers.TryGetValue(name, out var current) ? current.Profile : null;
            var profile = patch.ApplyTo(existing);
            var problem = ProfileValidator.Validate(profile);
            if (problem is not null)
            {
                state = null;
                return problem;
            }

            if (current is null)
            {
                current = new ProviderState(name, profile, _time);
                _providers[name] = current;
            }
            else
            {
                current.Profile = profile;
            }

            state = current;
            return null;
        }
    }

    // Back to the configured profiles with zeroed statistics; providers created at runtime are removed.
    public void Reset()
    {
        lock (_writes)
        {
            foreach (var name in _providers.Keys.Where(n => !_baseline.ContainsKey(n)).ToList())
            {
                _providers.TryRemove(name, out _);
            }

            foreach (var (name, profile) in _baseline)
            {
                if (_providers.TryGetValue(name, out var state))
                {
                    state.Profile = profile;
                    state.ResetRuntime();
                }
                else
                {
                    _providers[name] = new ProviderState(name, profile, _time);
                }
            }
        }
    }
}
