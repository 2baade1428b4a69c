using Switchboard.Gateway.Tests.Infrastructure;

namespace Switchboard.Gateway.Tests.Reliability;

/// <summary>
/// Tests that measure memory run alone (after the parallel ones), so other tests' allocations do not count
/// against their bounds; they get a simulator of their own.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MemoryBoundCollection : ICollectionFixture<SimulatorFixture>
{
    public const string Name = "memory-bound";
}
