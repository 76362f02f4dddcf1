package dev.keyward.llm;

import java.util.Objects;

/**
 * Tokens one call used, normalised across providers so that one price table applies:
 *
 * <ul>
 *   <li>{@code inputTokens} counts every input token, cached ones included (OpenAI's {@code
 *       prompt_tokens} and Gemini's {@code promptTokenCount} already do; for Anthropic it is {@code
 *       input_tokens + cache_read_input_tokens + cache_creation_input_tokens}, since Anthropic's
 *       {@code input_tokens} excludes both);
 *   <li>{@code cachedInputTokens} is the part of it read from a prompt cache;
 *   <li>{@code outputTokens} counts every output token, reasoning included (OpenAI's and
 *       Anthropic's counts already do; for Gemini it is {@code candidatesTokenCount +
 *       thoughtsTokenCount});
 *   <li>{@code reasoningTokens} is the part of it spent on reasoning, where reported.
 * </ul>
 *
 * @param estimated true when the provider did not report the counts (a stream cut before its
 *     usage, a body too large to read) and they were estimated; see {@link UsageMeter}
 * @param model the model the provider says it ran (e.g. {@code gpt-5-mini-2025-08-07}); empty
 *     when it said none
 */
public record Usage(long inputTokens, long outputTokens, long cachedInputTokens,
    long reasoningTokens, boolean estimated, String model) {

  /** No usage: what an error response, which providers do not bill, is metered as. */
  public static final Usage NONE = new Usage(0, 0, 0, 0, false, "");

  public Usage {
    if (inputTokens < 0 || outputTokens < 0 || cachedInputTokens < 0 || reasoningTokens < 0) {
      throw new IllegalArgumentException("token counts cannot be negative");
    }
    Objects.requireNonNull(model, "model");
  }

  /** Input plus output: what tokens-per-minute limits count. */
  public long totalTokens() {
    return inputTokens + outputTokens;
  }
}
