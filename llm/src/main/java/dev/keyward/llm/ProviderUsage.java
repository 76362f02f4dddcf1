package dev.keyward.llm;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * What one API's responses say about usage, read message by message: an SSE event's data, a whole
 * JSON body, or one element of Gemini's JSON-array stream. Counts are kept in the normalised form
 * of {@link Usage}. Garbage is ignored, never thrown.
 */
abstract class ProviderUsage {

  long input;
  long output;
  long cached;
  long reasoning;
  String model = "";
  /** Some usage numbers were seen (possibly not final: Anthropic's message_start). */
  boolean reported;
  /** The final usage was seen: nothing later can change it. */
  boolean complete;
  /**
   * The provider said the generation is over (a finish reason, a stop event, the final usage):
   * whatever follows is bookkeeping, and stopping the stream would save nothing.
   */
  boolean done;
  /** Generated text seen, for the estimate when the usage never completes. */
  long contentBytes;

  abstract void accept(JsonNode message);

  /**
   * Reads one message from its UTF-8 JSON bytes without a tree, when that gives exactly what
   * {@link #accept} gives on the parsed message; false (having changed nothing) when it cannot,
   * and the caller parses. This default never can.
   */
  boolean accept(byte[] json, int from, int length) {
    return false;
  }

  /** Whether the usage seen so far is final when the stream ended cleanly. */
  boolean finalAtCleanEnd() {
    return complete;
  }

  static ProviderUsage of(Endpoint endpoint) {
    return switch (endpoint.api()) {
      case OPENAI -> new OpenAiUsage(endpoint.producesOutput());
      case ANTHROPIC -> new AnthropicUsage();
      case GEMINI -> new GeminiUsage();
      default -> throw new IllegalArgumentException("no usage format for " + endpoint);
    };
  }

  Usage usage(boolean estimated) {
    return new Usage(input, output, Math.min(cached, input), Math.min(reasoning, output),
        estimated, model);
  }

  void model(JsonNode node) {
    if (node != null && node.isTextual()) {
      model(node.textValue());
    }
  }

  void model(String value) {
    if (LlmRequest.modelProblem(value) == null) {
      model = value;
    }
  }

  /** A count field: a whole number of 0 or more, else 0. */
  static long count(JsonNode parent, String field) {
    JsonNode node = parent == null ? null : parent.get(field);
    if (node == null || !node.isIntegralNumber() || !node.canConvertToLong()) {
      return 0;
    }
    return Math.max(0, node.longValue());
  }

  /** True when the field holds a usable count. */
  static boolean has(JsonNode parent, String field) {
    JsonNode node = parent == null ? null : parent.get(field);
    return node != null && node.isIntegralNumber() && node.canConvertToLong()
        && node.longValue() >= 0;
  }

  static JsonNode object(JsonNode parent, String field) {
    JsonNode node = parent == null ? null : parent.get(field);
    return node != null && node.isObject() ? node : null;
  }

  static String text(JsonNode parent, String field) {
    JsonNode node = parent == null ? null : parent.get(field);
    return node != null && node.isTextual() ? node.textValue() : "";
  }
}
