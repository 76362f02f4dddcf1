package dev.keyward.proxy.dev;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/** Gemini's {@code generateContent} and {@code streamGenerateContent} as the fake speaks them. */
final class FakeGemini {

  private final FakeIds ids;

  FakeGemini(FakeIds ids) {
    this.ids = ids;
  }

  /** Google's error body: {@code {"error":{"code":…,"message":…,"status":…}}}. */
  static FakeAnswer error(int status, String message, String statusName) {
    return FakeAnswer.json(status, new JsonObject().put("error", new JsonObject()
        .put("code", status).put("message", message).put("status", statusName)));
  }

  static FakeAnswer badRequest(String message) {
    return error(400, message, "INVALID_ARGUMENT");
  }

  /**
   * @param stream {@code :streamGenerateContent}
   * @param sse {@code ?alt=sse}: server-sent events; otherwise a stream is one JSON array
   */
  FakeAnswer generate(String model, JsonObject request, boolean stream, boolean sse) {
    if (!(request.getValue("contents") instanceof JsonArray contents) || contents.isEmpty()) {
      return badRequest("* GenerateContentRequest.contents: contents is not specified");
    }
    List<String> texts = new ArrayList<>();
    if (request.getValue("systemInstruction") instanceof JsonObject system) {
      texts.add(FakeText.of(system.getValue("parts")));
    }
    String lastUser = "";
    for (Object each : contents) {
      if (each instanceof JsonObject content) {
        String text = FakeText.of(content.getValue("parts"));
        texts.add(text);
        if (!"model".equals(content.getValue("role"))) {
          lastUser = text;
        }
      }
    }
    int cap = request.getValue("generationConfig") instanceof JsonObject config
        ? FakeText.positiveInt(config, "maxOutputTokens") : 0;
    FakeCompletion completion = FakeCompletion.of(model, texts, lastUser, cap);
    String responseId = ids.prefixed("", 22);
    String finish = completion.truncated() ? "MAX_TOKENS" : "STOP";
    if (!stream) {
      return FakeAnswer.json(chunk(completion, responseId, completion.reply(), finish,
          completion.outputTokens()));
    }
    List<JsonObject> chunks = new ArrayList<>();
    List<String> pieces = completion.pieces();
    for (int i = 0; i < pieces.size(); i++) {
      boolean last = i == pieces.size() - 1;
      chunks.add(chunk(completion, responseId, pieces.get(i), last ? finish : null,
          last ? completion.outputTokens() : 0));
    }
    if (!sse) {
      return FakeAnswer.json(new JsonArray(new ArrayList<>(chunks)));
    }
    FakeAnswer.Events events = new FakeAnswer.Events();
    chunks.forEach(events::data);
    return events.answer();
  }

  /**
   * One response (or stream chunk). Gemini repeats {@code usageMetadata} in every chunk; output
   * counts arrive with the last one.
   */
  private static JsonObject chunk(FakeCompletion completion, String responseId, String text,
      String finishReason, int outputTokens) {
    JsonObject candidate = new JsonObject()
        .put("content", new JsonObject().put("parts", new JsonArray()
            .add(new JsonObject().put("text", text))).put("role", "model"))
        .put("index", 0);
    if (finishReason != null) {
      candidate.put("finishReason", finishReason);
    }
    int reasoning = outputTokens == 0 ? 0 : completion.reasoningTokens();
    JsonObject usage = new JsonObject()
        .put("promptTokenCount", completion.inputTokens())
        .put("candidatesTokenCount", outputTokens - reasoning)
        .put("totalTokenCount", completion.inputTokens() + outputTokens);
    if (completion.cachedTokens() > 0) {
      usage.put("cachedContentTokenCount", completion.cachedTokens());
    }
    if (reasoning > 0) {
      usage.put("thoughtsTokenCount", reasoning);
    }
    return new JsonObject().put("candidates", new JsonArray().add(candidate))
        .put("usageMetadata", usage).put("modelVersion", completion.model())
        .put("responseId", responseId);
  }
}
