package dev.keyward.token;

/**
 * A platform token was refused. The message is the error's fixed text: it never contains the
 * token or any part of it. No stack trace is captured (rejections are routine and frequent).
 */
public final class TokenRejectedException extends Exception {

  private final TokenError error;

  public TokenRejectedException(TokenError error) {
    super(error.message(), null, false, false);
    this.error = error;
  }

  public TokenError error() {
    return error;
  }
}
