using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Switchboard.Contracts.Outcomes;
using Switchboard.Gateway.Outcomes;

namespace Switchboard.Gateway.Tests.Infrastructure;

/// <summary>Keeps every outcome event the gateway publishes, for assertions.</summary>
internal sealed class CapturingOutcomeSink : IOutcomeSink
{
    public ConcurrentQueue<OutcomeEvent> Events { get; } = new();

    public void Publish(OutcomeEvent outcome) => Events.Enqueue(outcome);

    public Action<IServiceCollection> Install => services => services.Replace(ServiceDescriptor.Singleton<IOutcomeSink>(this));

    /// <summary>Waits (bounded) until the events of a request are all there: accounting runs after the response.</summary>
    public async Task<List<OutcomeEvent>> ForRequestAsync(string requestId, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var found = Events.Where(e => e.RequestId == requestId).OrderBy(e => e.Attempt).ToList();
            if (found.Count >= count || DateTime.UtcNow > deadline)
            {
                return found;
            }
            await Task.Delay(20);
        }
    }
}
