package dev.keyward.llm.budget;

/** Which limit refused a request, and the stable error code the agent sees. */
public enum LimitKind {
  /** The period's money would be exceeded: {@code 429 budget_exceeded}. */
  MONEY("budget_exceeded"),
  /**
   * The model has no price, so a money budget cannot bound it. Also {@code budget_exceeded}:
   * retrying cannot help until the price table names the model, which the message says.
   */
  UNPRICED_MODEL("budget_exceeded"),
  /** Requests per minute: {@code 429 rate_limited}. */
  REQUESTS("rate_limited"),
  /** Tokens per minute: {@code 429 rate_limited}. */
  TOKENS("rate_limited");

  private final String errorCode;

  LimitKind(String errorCode) {
    this.errorCode = errorCode;
  }

  public String errorCode() {
    return errorCode;
  }
}
