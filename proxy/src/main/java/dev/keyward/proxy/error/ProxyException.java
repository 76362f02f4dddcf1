package dev.keyward.proxy.error;

import dev.keyward.policies.Decision;
import java.util.Map;
import java.util.Optional;

/**
 * Ends a request with a {@link ProxyError}; a refusal by the policy carries its {@link Decision},
 * which the audit record then shows. Routine, so no stack trace is captured.
 */
public final class ProxyException extends Exception {

  private final ProxyError error;
  private final Decision denial;
  private final Map<String, String> headers;

  public ProxyException(ProxyError error) {
    this(error, null, Map.of());
  }

  private ProxyException(ProxyError error, Decision denial, Map<String, String> headers) {
    super(error.code() + ": " + error.message(), null, false, false);
    this.error = error;
    this.denial = denial;
    this.headers = Map.copyOf(headers);
  }

  /** The policy refused the request. */
  public static ProxyException denied(Decision denial) {
    return new ProxyException(ProxyError.of(denial), denial, Map.of());
  }

  /** The policy refused the request, and the answer carries {@code headers} ({@code Retry-After}). */
  public static ProxyException denied(Decision denial, Map<String, String> headers) {
    return new ProxyException(ProxyError.of(denial), denial, headers);
  }

  /** Refuses with {@code error}; the answer carries {@code headers} ({@code Proxy-Authenticate}). */
  public static ProxyException withHeaders(ProxyError error, Map<String, String> headers) {
    return new ProxyException(error, null, headers);
  }

  /** Headers the error response carries besides the usual ones. */
  public Map<String, String> headers() {
    return headers;
  }

  public ProxyError error() {
    return error;
  }

  /** The policy's denial, when the policy refused the request. */
  public Optional<Decision> denial() {
    return Optional.ofNullable(denial);
  }
}
