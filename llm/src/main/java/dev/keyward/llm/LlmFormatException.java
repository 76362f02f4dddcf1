package dev.keyward.llm;

/**
 * A request body Keyward cannot read as the route's API: the proxy answers {@code 400} with this
 * message and the upstream sees nothing. Messages are short and quote at most a few sanitized
 * bytes of the body.
 */
public final class LlmFormatException extends Exception {

  public LlmFormatException(String message) {
    super(message, null, false, false);
  }
}
