using System.Text;
using Switchboard.Testing.Stack;

namespace Switchboard.Faults.Tests;

/// <summary>One Switchboard environment shared by the fault tests, which run one after another against it.</summary>
public sealed class StackFixture : IAsyncLifetime
{
    private readonly StringBuilder _log = new();

    public SwitchboardStack Stack { get; private set; } = null!;

    public string StartupLog => _log.ToString();

    public async Task InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        Stack = await SwitchboardStack.StartAsync(line => _log.AppendLine(line), timeout.Token);
    }

    public async Task DisposeAsync()
    {
        if (Stack is not null)
        {
            await Stack.DisposeAsync();
        }
    }
}
