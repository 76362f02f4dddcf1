package dev.keyward.proxy.dev;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * What the fake provider sends back: a status, a content type and the body in the pieces it is
 * written in (one piece for JSON, one per event for server-sent events).
 */
record FakeAnswer(int status, String contentType, List<String> pieces) {

  FakeAnswer {
    pieces = List.copyOf(pieces);
  }

  static FakeAnswer json(int status, JsonObject body) {
    return new FakeAnswer(status, "application/json", List.of(body.encode()));
  }

  static FakeAnswer json(JsonObject body) {
    return json(200, body);
  }

  static FakeAnswer json(JsonArray body) {
    return new FakeAnswer(200, "application/json", List.of(body.encode()));
  }

  /** Builds a {@code text/event-stream} body, one event at a time. */
  static final class Events {
    private final List<String> pieces = new ArrayList<>();

    /** An event with only a {@code data:} line (OpenAI, Gemini). */
    Events data(String data) {
      pieces.add("data: " + data + "\n\n");
      return this;
    }

    Events data(JsonObject data) {
      return data(data.encode());
    }

    /** An event with a name (Anthropic, the Responses API). */
    Events event(String name, JsonObject data) {
      pieces.add("event: " + name + "\ndata: " + data.encode() + "\n\n");
      return this;
    }

    FakeAnswer answer() {
      return new FakeAnswer(200, "text/event-stream; charset=utf-8", pieces);
    }
  }
}
