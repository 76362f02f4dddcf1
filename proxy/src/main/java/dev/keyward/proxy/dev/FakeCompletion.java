package dev.keyward.proxy.dev;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The fake provider's answer to a prompt, the same in every API format: a deterministic reply
 * (the last user message echoed back) and token counts roughly proportional to the text, as a
 * real tokenizer gives (about four characters a token).
 *
 * @param reply the reply text, cut to the output cap when there is one
 * @param truncated whether the output cap cut the reply short
 * @param inputTokens every input token, cached ones included
 * @param cachedTokens the part of the input a provider would serve from its prompt cache
 * @param outputTokens every output token, reasoning included
 * @param reasoningTokens the part of the output a reasoning model spends thinking
 */
record FakeCompletion(String model, String reply, boolean truncated, int inputTokens,
    int cachedTokens, int outputTokens, int reasoningTokens) {

  /** Longest echo of the user's message; the reply stays small whatever the prompt. */
  static final int MAX_ECHO_CHARS = 2000;
  /** OpenAI caches prompts from this many tokens on, in blocks of {@link #CACHE_BLOCK}. */
  static final int CACHE_MIN_TOKENS = 1024;
  static final int CACHE_BLOCK = 128;
  /** Per-message framing tokens (role markers), as chat formats count them. */
  static final int TOKENS_PER_MESSAGE = 4;

  /**
   * @param texts the text of every input message (system prompt included)
   * @param lastUserText the last user message, echoed back
   * @param maxOutputTokens the request's output cap, or 0 for none
   */
  static FakeCompletion of(String model, List<String> texts, String lastUserText,
      int maxOutputTokens) {
    int input = 3;
    for (String text : texts) {
      input += TOKENS_PER_MESSAGE + tokens(text);
    }
    int cached = input >= CACHE_MIN_TOKENS ? ((input - 1) / CACHE_BLOCK) * CACHE_BLOCK : 0;
    String echo = lastUserText.length() > MAX_ECHO_CHARS
        ? lastUserText.substring(0, MAX_ECHO_CHARS) : lastUserText;
    String reply = echo.isBlank() ? "Hello from Keyward's fake provider."
        : "You said: " + echo.strip();
    int reasoning = isReasoningModel(model) ? 4 * tokens(reply) : 0;
    boolean truncated = false;
    if (maxOutputTokens > 0 && reasoning + tokens(reply) > maxOutputTokens) {
      reasoning = Math.min(reasoning, maxOutputTokens / 2);
      int room = Math.max(1, maxOutputTokens - reasoning);
      reply = reply.substring(0, Math.min(reply.length(), room * 4));
      truncated = true;
    }
    return new FakeCompletion(model, reply, truncated, input, cached,
        reasoning + tokens(reply), reasoning);
  }

  /** About four characters a token, at least one for any text. */
  static int tokens(String text) {
    return text.isEmpty() ? 0 : Math.max(1, (text.length() + 3) / 4);
  }

  /** OpenAI's o-series and GPT-5, Claude and Gemini "thinking" models report reasoning tokens. */
  static boolean isReasoningModel(String model) {
    String name = model.toLowerCase(Locale.ROOT);
    int slash = name.lastIndexOf('/');
    name = name.substring(slash + 1);
    return name.matches("o[1-9].*") || name.startsWith("gpt-5") || name.contains("thinking");
  }

  /** The reply in the pieces a stream sends it in: word by word, spaces kept. */
  List<String> pieces() {
    List<String> pieces = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < reply.length(); i++) {
      if (reply.charAt(i) == ' ' || i == reply.length() - 1) {
        pieces.add(reply.substring(start, i + 1));
        start = i + 1;
      }
    }
    return pieces;
  }

  int uncachedInputTokens() {
    return inputTokens - cachedTokens;
  }
}
