namespace Switchboard.Gateway.Tests.Providers.Gemini;

/// <summary>
/// Reference payloads as Google's Gemini API documentation shows them (Text generation, Function calling, Thinking,
/// API errors / troubleshooting pages). Gemini's SSE frames end in CRLF CRLF.
/// </summary>
internal static class GeminiPayloads
{
    /// <summary>Text generation: REST streamGenerateContent?alt=sse.</summary>
    public const string TextStream =
        "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Once\"}],\"role\": \"model\"},\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 8,\"totalTokenCount\": 8},\"modelVersion\": \"gemini-2.0-flash\"}\r\n\r\n"
        + "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \" upon a time, in a land filled with\"}],\"role\": \"model\"},\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 8,\"totalTokenCount\": 8},\"modelVersion\": \"gemini-2.0-flash\"}\r\n\r\n"
        + "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \" magic backpacks...\"}],\"role\": \"model\"},\"finishReason\": \"STOP\",\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 8,\"candidatesTokenCount\": 28,\"totalTokenCount\": 36,\"promptTokensDetails\": [{\"modality\": \"TEXT\",\"tokenCount\": 8}]},\"modelVersion\": \"gemini-2.0-flash\"}\r\n\r\n";

    /// <summary>Thinking: a streamed answer with thought summaries (includeThoughts) and thoughtsTokenCount.</summary>
    public const string ThinkingStream =
        "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"**Analyzing the riddle**\\n\\nI'm considering the clues.\", \"thought\": true}],\"role\": \"model\"},\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 30,\"totalTokenCount\": 130,\"thoughtsTokenCount\": 100},\"modelVersion\": \"gemini-2.5-flash\"}\r\n\r\n"
        + "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"The answer is a keyboard.\"}],\"role\": \"model\"},\"finishReason\": \"STOP\",\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 30,\"candidatesTokenCount\": 6,\"totalTokenCount\": 136,\"thoughtsTokenCount\": 100,\"cachedContentTokenCount\": 20},\"modelVersion\": \"gemini-2.5-flash\"}\r\n\r\n";

    /// <summary>Function calling: a streamed function call (whole, in one event).</summary>
    public const string FunctionCallStream =
        "data: {\"candidates\": [{\"content\": {\"parts\": [{\"functionCall\": {\"name\": \"schedule_meeting\",\"args\": {\"attendees\": [\"Bob\",\"Alice\"],\"date\": \"2025-03-27\",\"time\": \"10:00\",\"topic\": \"Q3 planning\"}}}],\"role\": \"model\"},\"finishReason\": \"STOP\",\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 110,\"candidatesTokenCount\": 30,\"totalTokenCount\": 140},\"modelVersion\": \"gemini-2.0-flash\"}\r\n\r\n";

    /// <summary>Text generation: a generateContent response.</summary>
    public const string TextResponse = """
        {
          "candidates": [
            {
              "content": {"parts": [{"text": "AI learns patterns from data to make predictions or decisions."}], "role": "model"},
              "finishReason": "STOP",
              "avgLogprobs": -0.1234
            }
          ],
          "usageMetadata": {"promptTokenCount": 8, "candidatesTokenCount": 12, "totalTokenCount": 20,
            "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 8}], "candidatesTokensDetails": [{"modality": "TEXT", "tokenCount": 12}]},
          "modelVersion": "gemini-2.0-flash",
          "responseId": "mDrhZ5ShDZ2pz7IP0pPzgQQ"
        }
        """;

    /// <summary>Function calling: the model asks for a call.</summary>
    public const string FunctionCallResponse = """
        {
          "candidates": [
            {
              "content": {
                "parts": [
                  {"functionCall": {"name": "schedule_meeting", "args": {"attendees": ["Bob", "Alice"], "date": "2025-03-27", "time": "10:00", "topic": "Q3 planning"}}}
                ],
                "role": "model"
              },
              "finishReason": "STOP",
              "index": 0
            }
          ],
          "usageMetadata": {"promptTokenCount": 110, "candidatesTokenCount": 30, "totalTokenCount": 140},
          "modelVersion": "gemini-2.0-flash"
        }
        """;

    /// <summary>Safety: a blocked candidate has no content.</summary>
    public const string SafetyResponse = """
        {"candidates": [{"finishReason": "SAFETY", "index": 0, "safetyRatings": [{"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH", "blocked": true}]}],
         "usageMetadata": {"promptTokenCount": 9, "totalTokenCount": 9}, "modelVersion": "gemini-2.0-flash"}
        """;

    /// <summary>Safety: a blocked prompt has no candidate at all.</summary>
    public const string BlockedPromptResponse = """
        {"promptFeedback": {"blockReason": "SAFETY", "safetyRatings": [{"category": "HARM_CATEGORY_HARASSMENT", "probability": "HIGH"}]},
         "usageMetadata": {"promptTokenCount": 9, "totalTokenCount": 9}, "modelVersion": "gemini-2.0-flash"}
        """;

    /// <summary>Errors: an invalid API key.</summary>
    public const string InvalidKeyError = """
        {
          "error": {
            "code": 400,
            "message": "API key not valid. Please pass a valid API key.",
            "status": "INVALID_ARGUMENT",
            "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID", "domain": "googleapis.com"}]
          }
        }
        """;

    /// <summary>Errors: quota exhausted, with RetryInfo.</summary>
    public const string QuotaError = """
        {
          "error": {
            "code": 429,
            "message": "You exceeded your current quota, please check your plan and billing details.",
            "status": "RESOURCE_EXHAUSTED",
            "details": [
              {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [{"quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests", "quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier"}]},
              {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "37s"}
            ]
          }
        }
        """;

    /// <summary>Errors: overloaded.</summary>
    public const string UnavailableError = """{"error": {"code": 503, "message": "The model is overloaded. Please try again later.", "status": "UNAVAILABLE"}}""";
}
