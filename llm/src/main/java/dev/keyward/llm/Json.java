package dev.keyward.llm;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;

/** The two JSON readers of the module: strict for requests, forgiving for responses. */
final class Json {

  /**
   * Requests: a duplicate key or trailing data is an error, because the upstream might read the
   * other copy of {@code model} than the one the allowlist checked.
   */
  static final ObjectMapper STRICT = JsonMapper.builder()
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .build();

  /** Responses: whatever the upstream sent is read as it can be; failures are not errors there. */
  static final ObjectMapper LENIENT = JsonMapper.builder().build();

  private static final int EXCERPT_BYTES = 16;

  private Json() {}

  /** Reads a request body; every failure is a short message that quotes at most 16 bytes. */
  static JsonNode readRequest(byte[] body) throws LlmFormatException {
    try {
      JsonNode root = STRICT.readTree(body);
      if (root == null || root.isMissingNode()) {
        throw new LlmFormatException("the request body is empty; it must be a JSON object");
      }
      return root;
    } catch (JsonProcessingException e) {
      String what = e.getOriginalMessage() != null && e.getOriginalMessage().startsWith("Duplicate")
          ? "has a duplicate key (each key may appear once per object)"
          : "is not valid JSON";
      throw new LlmFormatException("the request body " + what + where(e.getLocation(), body));
    } catch (IOException e) {
      throw new LlmFormatException("the request body could not be read as JSON");
    }
  }

  /** Parses a response fragment, or returns null: upstream garbage is not an error. */
  static JsonNode readResponse(String text) {
    try {
      JsonNode node = LENIENT.readTree(text);
      return node == null || node.isMissingNode() ? null : node;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** As {@link #readResponse(String)}, for bytes. */
  static JsonNode readResponse(byte[] body, int length) {
    try {
      JsonNode node = LENIENT.readTree(body, 0, length);
      return node == null || node.isMissingNode() ? null : node;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  static String typeName(JsonNode node) {
    return switch (node.getNodeType()) {
      case ARRAY -> "an array";
      case OBJECT -> "an object";
      case STRING -> "a string";
      case NUMBER -> "a number";
      case BOOLEAN -> "a boolean";
      case NULL -> "null";
      default -> "something else";
    };
  }

  private static String where(JsonLocation at, byte[] body) {
    if (at == null || at.getLineNr() < 1) {
      return "";
    }
    String text = " at line " + at.getLineNr() + ", column " + at.getColumnNr();
    long offset = at.getByteOffset();
    if (offset < 0 || offset > body.length) {
      return text;
    }
    int from = (int) Math.max(0, offset - EXCERPT_BYTES / 2);
    int to = Math.min(body.length, from + EXCERPT_BYTES);
    return from >= to ? text : text + " (near '" + sanitized(body, from, to) + "')";
  }

  /** Printable ASCII only; anything else becomes '.', so no control byte reaches a log line. */
  private static String sanitized(byte[] body, int from, int to) {
    StringBuilder out = new StringBuilder(to - from);
    for (int i = from; i < to; i++) {
      int b = body[i] & 0xff;
      out.append(b >= 0x20 && b < 0x7f ? (char) b : '.');
    }
    return out.toString();
  }
}
