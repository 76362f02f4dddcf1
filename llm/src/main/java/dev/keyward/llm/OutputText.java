package dev.keyward.llm;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import java.util.Set;

/**
 * How much generated text a response carried, for the output estimate of a stream that ended
 * before its usage: the UTF-8 bytes of the fields that hold generated text or tool arguments in
 * the three APIs ({@code content}, {@code text}, {@code thinking}, {@code arguments}, ...), and the
 * JSON length of structured tool input ({@code input}, Gemini's {@code args}).
 */
final class OutputText {

  private static final Set<String> TEXT = Set.of("content", "text", "refusal", "reasoning",
      "reasoning_content", "thinking", "partial_json", "arguments");
  private static final Set<String> STRUCTURED = Set.of("input", "args");

  private OutputText() {}

  static long bytes(JsonNode node) {
    long bytes = 0;
    if (node.isObject()) {
      for (Map.Entry<String, JsonNode> field : node.properties()) {
        JsonNode value = field.getValue();
        if (value.isTextual() && TEXT.contains(field.getKey())) {
          bytes += Tokens.utf8Length(value.textValue());
        } else if (value.isContainerNode() && STRUCTURED.contains(field.getKey())) {
          bytes += Tokens.utf8Length(value.toString());
        } else if (value.isContainerNode()) {
          bytes += bytes(value);
        }
      }
    } else if (node.isArray()) {
      for (JsonNode item : node) {
        bytes += bytes(item);
      }
    }
    return bytes;
  }
}
