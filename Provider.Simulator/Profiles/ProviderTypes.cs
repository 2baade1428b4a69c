namespace Switchboard.Simulator.Profiles;

internal static class ProviderTypes
{
    public const string OpenAi = "openai";
    public const string Anthropic = "anthropic";
    public const string Gemini = "gemini";

    public static bool IsKnown(string type) => type is OpenAi or Anthropic or Gemini;
}
