package dev.keyward.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.OptionalLong;

/**
 * The worst-case output of a request, read from the fields each API defines. Google's JSON
 * accepts both lowerCamel and snake_case names, so both are read: a cap spelled the other way must
 * not escape a budget.
 */
final class OutputCap {

  private OutputCap() {}

  static OptionalLong of(Endpoint endpoint, ObjectNode root) throws LlmFormatException {
    return switch (endpoint) {
      case CHAT_COMPLETIONS -> times(max(count(root, "max_completion_tokens"),
          count(root, "max_tokens")), count(root, "n"));
      case COMPLETIONS -> times(count(root, "max_tokens"),
          max(count(root, "n"), count(root, "best_of")));
      case RESPONSES -> count(root, "max_output_tokens");
      case EMBEDDINGS -> OptionalLong.of(0);
      case MESSAGES -> count(root, "max_tokens");
      case GENERATE_CONTENT, STREAM_GENERATE_CONTENT -> gemini(root);
      default -> OptionalLong.empty();
    };
  }

  private static OptionalLong gemini(ObjectNode root) throws LlmFormatException {
    OptionalLong cap = OptionalLong.empty();
    OptionalLong candidates = OptionalLong.empty();
    for (String config : new String[] {"generationConfig", "generation_config"}) {
      JsonNode node = root.get(config);
      if (node == null || node.isNull()) {
        continue;
      }
      if (!node.isObject()) {
        throw new LlmFormatException(
            "\"" + config + "\" must be an object, not " + Json.typeName(node));
      }
      ObjectNode object = (ObjectNode) node;
      cap = max(cap, max(count(object, "maxOutputTokens"), count(object, "max_output_tokens")));
      candidates = max(candidates,
          max(count(object, "candidateCount"), count(object, "candidate_count")));
    }
    return times(cap, candidates);
  }

  /** A whole number of 0 or more, or empty when absent or null. */
  private static OptionalLong count(ObjectNode object, String field) throws LlmFormatException {
    JsonNode node = object.get(field);
    if (node == null || node.isNull()) {
      return OptionalLong.empty();
    }
    if (!node.isIntegralNumber() || !node.canConvertToLong() || node.longValue() < 0) {
      throw new LlmFormatException("\"" + field + "\" must be a whole number of 0 or more");
    }
    return OptionalLong.of(node.longValue());
  }

  private static OptionalLong max(OptionalLong a, OptionalLong b) {
    if (a.isEmpty()) {
      return b;
    }
    return b.isEmpty() ? a : OptionalLong.of(Math.max(a.getAsLong(), b.getAsLong()));
  }

  /** The cap times the number of choices (1 when unset), saturating rather than overflowing. */
  private static OptionalLong times(OptionalLong cap, OptionalLong choices) {
    if (cap.isEmpty()) {
      return cap;
    }
    long n = Math.max(1, choices.orElse(1));
    long product = cap.getAsLong() * n;
    boolean overflow = cap.getAsLong() != 0 && product / cap.getAsLong() != n;
    return OptionalLong.of(overflow ? Long.MAX_VALUE : product);
  }
}
