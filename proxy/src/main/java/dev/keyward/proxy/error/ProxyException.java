package dev.keyward.proxy.error;

/** Ends a request with a {@link ProxyError}. Routine, so no stack trace is captured. */
public final class ProxyException extends Exception {

  private final ProxyError error;

  public ProxyException(ProxyError error) {
    super(error.code() + ": " + error.message(), null, false, false);
    this.error = error;
  }

  public ProxyError error() {
    return error;
  }
}
