using System.Text;
using Switchboard.Testing.Stack;

namespace Switchboard.Faults.Tests;

/// <summary>One Switchboard environment shared by the fault tests, which run one after another against it.</summary>
public sealed class StackFixture : IAsyncLifetime
{
    private readonly StringBuilder _log = new();

    /// <summary>gateway-b's outcome buffer: small enough to overflow while Redis is down for 20 s at the suite's rate.</summary>
    public const int SmallOutcomeBuffer = 1000;

    public SwitchboardStack Stack { get; private set; } = null!;

    public string StartupLog => _log.ToString();

    public async Task InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var options = new StackOptions
        {
            ServiceEnvironment = new Dictionary<string, IReadOnlyDictionary<string, string>>
            {
                ["gateway-b"] = new Dictionary<string, string>
                {
                    ["Switchboard__Gateway__OutcomeBufferCapacity"] = SmallOutcomeBuffer.ToString(System.Globalization.CultureInfo.InvariantCulture),
                },
            },
        };
        Stack = await SwitchboardStack.StartAsync(options, line => _log.AppendLine(line), timeout.Token);
    }

    public async Task DisposeAsync()
    {
        if (Stack is not null)
        {
            await Stack.DisposeAsync();
        }
    }
}
