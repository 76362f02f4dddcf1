package dev.keyward.llm;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Gemini's usage: {@code usageMetadata} on a body and on every stream chunk, where the last one
 * wins. {@code promptTokenCount} includes {@code cachedContentTokenCount}; {@code
 * toolUsePromptTokenCount} is input too. {@code candidatesTokenCount} excludes {@code
 * thoughtsTokenCount}, which Google bills as output, so {@link Usage} adds them. A chunk with a
 * {@code finishReason} (or a blocked prompt) is the last.
 */
final class GeminiUsage extends ProviderUsage {

  private boolean finished;

  @Override
  void accept(JsonNode message) {
    model(message.get("modelVersion"));
    JsonNode candidates = message.get("candidates");
    if (candidates != null && candidates.isArray()) {
      contentBytes += OutputText.bytes(candidates);
      for (JsonNode candidate : candidates) {
        finished |= !text(candidate, "finishReason").isEmpty();
      }
    }
    finished |= !text(object(message, "promptFeedback"), "blockReason").isEmpty();
    JsonNode usage = object(message, "usageMetadata");
    if (usage != null && (has(usage, "promptTokenCount") || has(usage, "candidatesTokenCount"))) {
      long thoughts = count(usage, "thoughtsTokenCount");
      input = count(usage, "promptTokenCount") + count(usage, "toolUsePromptTokenCount");
      output = count(usage, "candidatesTokenCount") + thoughts;
      cached = count(usage, "cachedContentTokenCount");
      reasoning = thoughts;
      reported = true;
    }
    complete = reported && finished;
    done = finished;
  }

  /** Each chunk carries the running totals, so the last one of a clean stream is final. */
  @Override
  boolean finalAtCleanEnd() {
    return reported;
  }
}
