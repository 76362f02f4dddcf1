package dev.keyward.proxy.dev;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/** Anthropic's Messages API as the fake provider speaks it, streamed and not. */
final class FakeAnthropic {

  private final FakeIds ids;

  FakeAnthropic(FakeIds ids) {
    this.ids = ids;
  }

  /** Anthropic's error body: {@code {"type":"error","error":{"type":…,"message":…}}}. */
  static FakeAnswer error(int status, String type, String message) {
    return FakeAnswer.json(status, new JsonObject().put("type", "error")
        .put("error", new JsonObject().put("type", type).put("message", message)));
  }

  static FakeAnswer badRequest(String message) {
    return error(400, "invalid_request_error", message);
  }

  FakeAnswer messages(JsonObject request) {
    String model = request.getValue("model") instanceof String m ? m : null;
    if (model == null || model.isEmpty()) {
      return badRequest("model: Field required");
    }
    int maxTokens = FakeText.positiveInt(request, "max_tokens");
    if (maxTokens == 0) {
      return badRequest("max_tokens: Field required");
    }
    if (!(request.getValue("messages") instanceof JsonArray messages) || messages.isEmpty()) {
      return badRequest("messages: Field required");
    }
    List<String> texts = new ArrayList<>();
    Object system = request.getValue("system");
    if (system != null) {
      texts.add(FakeText.of(system));
    }
    String lastUser = "";
    for (Object each : messages) {
      if (each instanceof JsonObject message) {
        String text = FakeText.of(message.getValue("content"));
        texts.add(text);
        if ("user".equals(message.getValue("role"))) {
          lastUser = text;
        }
      }
    }
    FakeCompletion completion = FakeCompletion.of(model, texts, lastUser, maxTokens);
    String id = ids.prefixed("msg_01", 22);
    String stopReason = completion.truncated() ? "max_tokens" : "end_turn";
    if (!Boolean.TRUE.equals(request.getValue("stream"))) {
      return FakeAnswer.json(message(id, model)
          .put("content", new JsonArray().add(text(completion.reply())))
          .put("stop_reason", stopReason).putNull("stop_sequence")
          .put("usage", usage(completion, completion.outputTokens())));
    }
    FakeAnswer.Events events = new FakeAnswer.Events();
    events.event("message_start", new JsonObject().put("type", "message_start")
        .put("message", message(id, model).put("content", new JsonArray())
            .putNull("stop_reason").putNull("stop_sequence").put("usage", usage(completion, 1))));
    events.event("content_block_start", new JsonObject().put("type", "content_block_start")
        .put("index", 0).put("content_block", text("")));
    events.event("ping", new JsonObject().put("type", "ping"));
    for (String piece : completion.pieces()) {
      events.event("content_block_delta", new JsonObject().put("type", "content_block_delta")
          .put("index", 0)
          .put("delta", new JsonObject().put("type", "text_delta").put("text", piece)));
    }
    events.event("content_block_stop",
        new JsonObject().put("type", "content_block_stop").put("index", 0));
    events.event("message_delta", new JsonObject().put("type", "message_delta")
        .put("delta", new JsonObject().put("stop_reason", stopReason).putNull("stop_sequence"))
        .put("usage", new JsonObject().put("output_tokens", completion.outputTokens())));
    return events.event("message_stop", new JsonObject().put("type", "message_stop")).answer();
  }

  private static JsonObject message(String id, String model) {
    return new JsonObject().put("id", id).put("type", "message").put("role", "assistant")
        .put("model", model);
  }

  private static JsonObject text(String text) {
    return new JsonObject().put("type", "text").put("text", text);
  }

  /** Anthropic counts cached input apart: {@code input_tokens} is only the uncached part. */
  private static JsonObject usage(FakeCompletion completion, int outputTokens) {
    return new JsonObject()
        .put("input_tokens", completion.uncachedInputTokens())
        .put("cache_creation_input_tokens", 0)
        .put("cache_read_input_tokens", completion.cachedTokens())
        .put("output_tokens", outputTokens)
        .put("service_tier", "standard");
  }
}
