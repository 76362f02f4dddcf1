package dev.keyward.llm;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * The last event of an event stream that Keyward stops before the upstream finished it: an error
 * in the API's own stream format, which the provider's SDKs raise as an error. So a stopped
 * answer never reads as a complete one.
 *
 * <ul>
 *   <li>OpenAI: {@code data: {"error": {"message", "type", "code"}}}.
 *   <li>Anthropic: {@code event: error} with {@code {"type": "error", "error": {"type",
 *       "message"}}}.
 *   <li>Gemini: {@code data: {"error": {"code", "message", "status"}}}.
 * </ul>
 */
public final class StreamError {

  private StreamError() {}

  /**
   * @param code Keyward's error code ({@code budget_exceeded})
   * @param status the HTTP status the error would have had as a response, for Gemini's {@code code}
   * @param message one sentence for the agent; no secret
   */
  public static byte[] event(Api api, String code, int status, String message) {
    Objects.requireNonNull(code, "code");
    Objects.requireNonNull(message, "message");
    ObjectNode root = Json.LENIENT.createObjectNode();
    String frame = switch (api) {
      case ANTHROPIC -> {
        root.put("type", "error");
        root.putObject("error").put("type", code).put("message", message);
        yield "event: error\ndata: ";
      }
      case GEMINI -> {
        root.putObject("error").put("code", status).put("message", message)
            .put("status", status == 429 ? "RESOURCE_EXHAUSTED" : "UNAVAILABLE");
        yield "data: ";
      }
      case OPENAI, NONE -> {
        root.putObject("error").put("message", message).put("type", code).put("code", code);
        yield "data: ";
      }
    };
    return (frame + root + "\n\n").getBytes(StandardCharsets.UTF_8);
  }
}
