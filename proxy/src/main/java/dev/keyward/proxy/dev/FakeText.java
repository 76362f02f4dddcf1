package dev.keyward.proxy.dev;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/** Reads the text out of the shapes providers accept for a message's content. */
final class FakeText {

  private FakeText() {}

  /**
   * A string as such; an array of parts ({@code {"type":"text","text":…}}, Gemini's {@code
   * {"text":…}}) as its text parts joined; anything else (images, tool results) as nothing.
   */
  static String of(Object content) {
    if (content instanceof String text) {
      return text;
    }
    if (!(content instanceof JsonArray parts)) {
      return "";
    }
    StringBuilder text = new StringBuilder();
    for (Object part : parts) {
      if (part instanceof String plain) {
        text.append(plain);
      } else if (part instanceof JsonObject object && object.getValue("text") instanceof String s) {
        text.append(s);
      }
    }
    return text.toString();
  }

  /** A positive integer field, or 0 when it is missing or not a positive integer. */
  static int positiveInt(JsonObject object, String field) {
    Object value = object.getValue(field);
    if (value instanceof Number number && number.longValue() > 0
        && number.longValue() == number.doubleValue()) {
      return (int) Math.min(Integer.MAX_VALUE, number.longValue());
    }
    return 0;
  }
}
