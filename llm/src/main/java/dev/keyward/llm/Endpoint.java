package dev.keyward.llm;

/**
 * What a request does, for metering. Everything that is not a generation or embedding call is
 * {@link #OTHER}: it is not read, changed or metered.
 */
public enum Endpoint {
  OTHER(Api.NONE),
  /** OpenAI {@code /chat/completions}. */
  CHAT_COMPLETIONS(Api.OPENAI),
  /** OpenAI's legacy {@code /completions}. */
  COMPLETIONS(Api.OPENAI),
  /** OpenAI {@code /responses}. */
  RESPONSES(Api.OPENAI),
  /** OpenAI {@code /embeddings}: input tokens only. */
  EMBEDDINGS(Api.OPENAI),
  /** Anthropic {@code /v1/messages}. */
  MESSAGES(Api.ANTHROPIC),
  /** Gemini {@code models/{model}:generateContent}. */
  GENERATE_CONTENT(Api.GEMINI),
  /** Gemini {@code models/{model}:streamGenerateContent}; SSE with {@code ?alt=sse}. */
  STREAM_GENERATE_CONTENT(Api.GEMINI);

  private final Api api;

  Endpoint(Api api) {
    this.api = api;
  }

  /** The API this endpoint belongs to; {@link Api#NONE} for {@link #OTHER}. */
  public Api api() {
    return api;
  }

  /** True for every endpoint that is read and metered. */
  public boolean metered() {
    return this != OTHER;
  }

  /** True where the model is named in the path (Gemini), not in the body. */
  public boolean modelInPath() {
    return api == Api.GEMINI;
  }

  /** False for embeddings, which produce no output tokens. */
  public boolean producesOutput() {
    return this != EMBEDDINGS;
  }
}
