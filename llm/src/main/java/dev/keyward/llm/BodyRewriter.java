package dev.keyward.llm;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Rewrites a request body that {@link LlmRequest#parse} already validated, token by token: no
 * tree is built or kept, and every value other than the ones replaced is copied exactly as
 * written (numbers keep their digits), in its order.
 */
final class BodyRewriter {

  private BodyRewriter() {}

  /**
   * @param model the new top-level {@code model}, or null to keep it
   * @param forceUsage set {@code stream_options.include_usage} to true, adding what is missing
   */
  static byte[] rewrite(byte[] body, String model, boolean forceUsage) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(body.length + 48);
    try (JsonParser parser = Json.STRICT.createParser(body);
        JsonGenerator generator = Json.STRICT.createGenerator(out)) {
      parser.nextToken();
      generator.writeStartObject();
      boolean usageWritten = false;
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        String name = parser.currentName();
        parser.nextToken();
        if (model != null && name.equals("model")) {
          generator.writeStringField(name, model);
        } else if (forceUsage && name.equals("stream_options")) {
          generator.writeFieldName(name);
          streamOptionsWithUsage(parser, generator);
          usageWritten = true;
        } else {
          generator.writeFieldName(name);
          generator.copyCurrentStructureExact(parser);
        }
      }
      if (forceUsage && !usageWritten) {
        generator.writeObjectFieldStart("stream_options");
        generator.writeBooleanField("include_usage", true);
        generator.writeEndObject();
      }
      generator.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException("a validated request body could not be rewritten", e);
    }
    return out.toByteArray();
  }

  /** The agent's stream options (an object or null) with include_usage true, in place. */
  private static void streamOptionsWithUsage(JsonParser parser, JsonGenerator generator)
      throws IOException {
    generator.writeStartObject();
    boolean written = false;
    if (parser.currentToken() == JsonToken.START_OBJECT) {
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        String name = parser.currentName();
        parser.nextToken();
        if (name.equals("include_usage")) {
          generator.writeBooleanField(name, true);
          written = true;
        } else {
          generator.writeFieldName(name);
          generator.copyCurrentStructureExact(parser);
        }
      }
    }
    if (!written) {
      generator.writeBooleanField("include_usage", true);
    }
    generator.writeEndObject();
  }
}
