namespace Switchboard.Simulator.Generation;

internal static class Vocabulary
{
    public static readonly string[] Words =
    [
        "the", "model", "answer", "request", "latency", "token", "stream", "provider", "gateway", "route",
        "simple", "quick", "result", "value", "system", "service", "data", "fast", "reliable", "test",
        "plan", "cloud", "budget", "cost", "health", "signal", "output", "input", "message", "window",
        "of", "and", "to", "in", "is", "for", "with", "on", "that", "this",
        "it", "as", "by", "from", "at", "an", "be", "are", "was", "will",
        "every", "some", "more", "less", "first", "last", "next", "good", "small", "large",
        "clear", "steady", "sample", "done",
    ];
}
