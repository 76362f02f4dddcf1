package dev.keyward.token;

/** A token exchange was refused. The message never contains the presented secret. */
public final class ExchangeRefusedException extends Exception {

  private final ExchangeError error;
  private final long retryAfterSeconds;

  public ExchangeRefusedException(ExchangeError error, String message, long retryAfterSeconds) {
    super(message, null, false, false);
    this.error = error;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  public ExchangeRefusedException(ExchangeError error) {
    this(error, error.message(), 0);
  }

  public ExchangeError error() {
    return error;
  }

  /** For {@link ExchangeError#TOO_MANY_FAILURES}: when to try again. */
  public long retryAfterSeconds() {
    return retryAfterSeconds;
  }
}
