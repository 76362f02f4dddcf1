package dev.keyward.llm;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;

/**
 * Token estimates where the provider reports none, by one documented, deterministic rule: one
 * token per four UTF-8 bytes of text, rounded up. English runs at about four characters per token
 * with the providers' tokenizers; code and other scripts run denser, so the rule is a rough guide,
 * not a bill. It is used for budget reservations and for streams cut before their usage arrived.
 */
final class Tokens {

  static final int BYTES_PER_TOKEN = 4;

  private Tokens() {}

  /** {@code ceil(bytes / 4)}. */
  static long fromBytes(long bytes) {
    return bytes <= 0 ? 0 : (bytes + BYTES_PER_TOKEN - 1) / BYTES_PER_TOKEN;
  }

  static long utf8Length(CharSequence text) {
    long bytes = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < 0x80) {
        bytes += 1;
      } else if (c < 0x800) {
        bytes += 2;
      } else if (Character.isHighSurrogate(c) && i + 1 < text.length()
          && Character.isLowSurrogate(text.charAt(i + 1))) {
        bytes += 4;
        i++;
      } else {
        bytes += 3;
      }
    }
    return bytes;
  }

  /**
   * The input estimate of a request: every field name and string value of the body (messages,
   * system prompt, tool definitions), except inline binary data (the value of a {@code data} or
   * {@code file_data} field, and {@code data:} URLs), whose token cost depends on the media and
   * not on its base64 length. At least one token.
   */
  static long requestEstimate(JsonNode body) {
    return Math.max(1, fromBytes(textBytes(body)));
  }

  private static long textBytes(JsonNode node) {
    long bytes = 0;
    if (node.isObject()) {
      for (Map.Entry<String, JsonNode> field : node.properties()) {
        bytes += utf8Length(field.getKey());
        if (!isBinary(field.getKey(), field.getValue())) {
          bytes += textBytes(field.getValue());
        }
      }
    } else if (node.isArray()) {
      for (JsonNode item : node) {
        bytes += textBytes(item);
      }
    } else if (node.isTextual()) {
      bytes += utf8Length(node.textValue());
    }
    return bytes;
  }

  private static boolean isBinary(String name, JsonNode value) {
    if (!value.isTextual()) {
      return false;
    }
    return name.equals("data") || name.equals("file_data") || value.textValue().startsWith("data:");
  }
}
