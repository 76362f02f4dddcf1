package dev.keyward.llm;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Anthropic's usage: a message body's {@code usage}; in a stream, {@code message_start}'s {@code
 * message.usage} (input and cache counts, a first output count) and then {@code message_delta}'s
 * {@code usage}, whose counts are cumulative and final. Anthropic's {@code input_tokens} excludes
 * cache reads and cache writes; {@link Usage} counts all three as input (cache writes at the input
 * price, see {@link PriceTable}).
 */
final class AnthropicUsage extends ProviderUsage {

  private long uncachedInput;
  private long cacheRead;
  private long cacheWrite;

  @Override
  void accept(JsonNode message) {
    switch (text(message, "type")) {
      case "message" -> {
        model(message.get("model"));
        contentBytes += OutputText.bytes(message);
        JsonNode usage = object(message, "usage");
        if (usage != null) {
          read(usage, true);
        }
      }
      case "message_start" -> {
        JsonNode body = object(message, "message");
        if (body != null) {
          model(body.get("model"));
          JsonNode usage = object(body, "usage");
          if (usage != null) {
            read(usage, false);
          }
        }
      }
      case "message_stop" -> done = true;
      case "message_delta" -> {
        done |= !text(object(message, "delta"), "stop_reason").isEmpty();
        JsonNode usage = object(message, "usage");
        if (usage != null) {
          read(usage, true);
        }
      }
      case "content_block_start", "content_block_delta" ->
          contentBytes += OutputText.bytes(message);
      default -> { }
    }
  }

  /** Fields present replace what earlier events said: Anthropic's counts are cumulative. */
  private void read(JsonNode usage, boolean last) {
    if (!has(usage, "input_tokens") && !has(usage, "output_tokens")) {
      return;
    }
    if (has(usage, "input_tokens")) {
      uncachedInput = count(usage, "input_tokens");
    }
    if (has(usage, "cache_read_input_tokens")) {
      cacheRead = count(usage, "cache_read_input_tokens");
    }
    if (has(usage, "cache_creation_input_tokens")) {
      cacheWrite = count(usage, "cache_creation_input_tokens");
    }
    if (has(usage, "output_tokens")) {
      output = count(usage, "output_tokens");
    }
    input = uncachedInput + cacheRead + cacheWrite;
    cached = cacheRead;
    reported = true;
    complete |= last;
    done |= last;
  }
}
