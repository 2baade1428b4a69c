using System.Text;

namespace Switchboard.Simulator.Tests.Infrastructure;

public sealed record SseEvent(string? Event, string Data);

// A strict reader of the raw SSE wire format, to pin the exact event sequences down.
public static class Sse
{
    public static IReadOnlyList<SseEvent> Parse(string body, string separator = "\n\n")
    {
        var events = new List<SseEvent>();
        foreach (var block in body.Split(separator, StringSplitOptions.RemoveEmptyEntries))
        {
            string? name = null;
            var data = new StringBuilder();
            foreach (var line in block.Split('\n'))
            {
                var trimmed = line.TrimEnd('\r');
                if (trimmed.StartsWith("event: ", StringComparison.Ordinal))
                {
                    name = trimmed["event: ".Length..];
                }
                else if (trimmed.StartsWith("data: ", StringComparison.Ordinal))
                {
                    data.Append(trimmed["data: ".Length..]);
                }
                else if (trimmed.Length > 0)
                {
                    throw new FormatException($"Unexpected SSE line: {trimmed}");
                }
            }

            events.Add(new SseEvent(name, data.ToString()));
        }

        return events;
    }

    // Reads one SSE block (up to a blank line) from a live stream.
    public static async Task<string?> ReadBlockAsync(StreamReader reader, CancellationToken ct = default)
    {
        var block = new StringBuilder();
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            if (line.Length == 0)
            {
                if (block.Length > 0)
                {
                    return block.ToString();
                }

                continue;
            }

            block.AppendLine(line);
        }

        return block.Length > 0 ? block.ToString() : null;
    }
}
