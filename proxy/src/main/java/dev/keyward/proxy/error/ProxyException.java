package dev.keyward.proxy.error;

import dev.keyward.policies.Decision;
import java.util.Optional;

/**
 * Ends a request with a {@link ProxyError}; a refusal by the policy carries its {@link Decision},
 * which the audit record then shows. Routine, so no stack trace is captured.
 */
public final class ProxyException extends Exception {

  private final ProxyError error;
  private final Decision denial;

  public ProxyException(ProxyError error) {
    this(error, null);
  }

  private ProxyException(ProxyError error, Decision denial) {
    super(error.code() + ": " + error.message(), null, false, false);
    this.error = error;
    this.denial = denial;
  }

  /** The policy refused the request. */
  public static ProxyException denied(Decision denial) {
    return new ProxyException(ProxyError.of(denial), denial);
  }

  public ProxyError error() {
    return error;
  }

  /** The policy's denial, when the policy refused the request. */
  public Optional<Decision> denial() {
    return Optional.ofNullable(denial);
  }
}
