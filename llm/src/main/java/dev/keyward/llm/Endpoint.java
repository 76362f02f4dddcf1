package dev.keyward.llm;

/**
 * What a request does, for metering. Everything that is not a generation or embedding call is
 * {@link #OTHER}: it is not read, changed or metered.
 */
public enum Endpoint {
  OTHER(Api.NONE, "other"),
  /** OpenAI {@code /chat/completions}. */
  CHAT_COMPLETIONS(Api.OPENAI, "chat/completions"),
  /** OpenAI's legacy {@code /completions}. */
  COMPLETIONS(Api.OPENAI, "completions"),
  /** OpenAI {@code /responses}. */
  RESPONSES(Api.OPENAI, "responses"),
  /** OpenAI {@code /embeddings}: input tokens only. */
  EMBEDDINGS(Api.OPENAI, "embeddings"),
  /** Anthropic {@code /v1/messages}. */
  MESSAGES(Api.ANTHROPIC, "messages"),
  /** Gemini {@code models/{model}:generateContent}. */
  GENERATE_CONTENT(Api.GEMINI, "generateContent"),
  /** Gemini {@code models/{model}:streamGenerateContent}; SSE with {@code ?alt=sse}. */
  STREAM_GENERATE_CONTENT(Api.GEMINI, "streamGenerateContent");

  private final Api api;
  private final String wireName;

  Endpoint(Api api, String wireName) {
    this.api = api;
    this.wireName = wireName;
  }

  /** How the endpoint is written in paths and messages, e.g. {@code chat/completions}. */
  public String wireName() {
    return wireName;
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
