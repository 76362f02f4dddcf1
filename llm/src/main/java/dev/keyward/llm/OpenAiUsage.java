package dev.keyward.llm;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;

/**
 * OpenAI's usage: {@code usage} on a chat/text completion or embeddings body and on the final
 * stream chunk (the one with {@code "choices": []} when {@code include_usage} is set; some
 * compatible providers attach it to the last content chunk instead), and {@code response.usage} on
 * {@code /responses} bodies and their {@code response.completed} (or {@code .incomplete}, {@code
 * .failed}) events. {@code prompt_tokens} includes {@code prompt_tokens_details.cached_tokens};
 * {@code completion_tokens} includes {@code completion_tokens_details.reasoning_tokens}; the
 * Responses API names them {@code input_tokens} and {@code output_tokens}. DeepSeek's {@code
 * prompt_cache_hit_tokens} is read where the details object is missing.
 */
final class OpenAiUsage extends ProviderUsage {

  /** Off for embeddings: they produce no text, and their vectors are long. */
  private final boolean countContent;

  private final OpenAiChunkScan scan = new OpenAiChunkScan();
  /** {@link #model} in UTF-8, to see without decoding that a chunk names the same model. */
  private String modelOfBytes;
  private byte[] modelBytes;

  OpenAiUsage(boolean countContent) {
    this.countContent = countContent;
  }

  /** A content chunk, read on its bytes; one with usage (or anything unusual) is declined. */
  @Override
  boolean accept(byte[] json, int from, int length) {
    if (!scan.scan(json, from, length)) {
      return false;
    }
    if (scan.modelFrom >= 0) {
      if (modelOfBytes != model) {
        modelOfBytes = model;
        modelBytes = model.getBytes(StandardCharsets.UTF_8);
      }
      if (!scan.modelIs(modelBytes)) {
        model(scan.model());
      }
    }
    done |= scan.finished;
    if (countContent) {
      contentBytes += scan.contentBytes;
    }
    return true;
  }

  @Override
  void accept(JsonNode message) {
    String type = text(message, "type");
    if (type.startsWith("response.")) {
      acceptResponsesEvent(type, message);
      return;
    }
    model(message.get("model"));
    JsonNode usage = object(message, "usage");
    if (usage != null) {
      read(usage);
    }
    JsonNode choices = message.get("choices");
    if (choices != null && choices.isArray()) {
      for (JsonNode choice : choices) {
        done |= !text(choice, "finish_reason").isEmpty();
      }
    }
    if (countContent) {
      contentBytes += OutputText.bytes(message);
    }
  }

  /** Streamed /responses: deltas carry the text; the terminal events carry the usage. */
  private void acceptResponsesEvent(String type, JsonNode event) {
    JsonNode delta = event.get("delta");
    if (type.endsWith(".delta") && delta != null && delta.isTextual()) {
      contentBytes += Tokens.utf8Length(delta.textValue());
    }
    done |= type.equals("response.completed") || type.equals("response.incomplete")
        || type.equals("response.failed");
    JsonNode response = object(event, "response");
    if (response != null) {
      model(response.get("model"));
      JsonNode usage = object(response, "usage");
      if (usage != null) {
        read(usage);
      }
    }
  }

  /** A usage object without a single usable count is garbage, not a report of zero. */
  private void read(JsonNode usage) {
    if (!has(usage, "prompt_tokens") && !has(usage, "input_tokens")
        && !has(usage, "completion_tokens") && !has(usage, "output_tokens")) {
      return;
    }
    input = count(usage, has(usage, "prompt_tokens") ? "prompt_tokens" : "input_tokens");
    output = count(usage, has(usage, "completion_tokens") ? "completion_tokens" : "output_tokens");
    JsonNode inputDetails = object(usage, "prompt_tokens_details");
    if (inputDetails == null) {
      inputDetails = object(usage, "input_tokens_details");
    }
    cached = has(inputDetails, "cached_tokens")
        ? count(inputDetails, "cached_tokens") : count(usage, "prompt_cache_hit_tokens");
    JsonNode outputDetails = object(usage, "completion_tokens_details");
    if (outputDetails == null) {
      outputDetails = object(usage, "output_tokens_details");
    }
    reasoning = count(outputDetails, "reasoning_tokens");
    reported = true;
    complete = true;
    done = true;
  }
}
