package dev.keyward.proxy.routing;

import dev.keyward.proxy.error.ProxyError;
import dev.keyward.proxy.error.ProxyException;

/**
 * Why one target of a route with targets did not answer, where no error code of its own says it:
 * its circuit was open, or its upstream answered with a status that makes Keyward try the next
 * target. Each appears in the {@code attempts} of a {@code 502 all_targets_failed}, in the audit
 * record of the attempt and in the metrics; docs/errors.md lists them. Never the agent's whole
 * answer: the upstream's body is never relayed.
 */
public enum AttemptCode {
  CIRCUIT_OPEN("circuit_open", "the target's circuit is open after repeated upstream failures"),
  UPSTREAM_RATE_LIMITED("upstream_rate_limited", "the upstream answered 429: too many requests"),
  UPSTREAM_KEY_REFUSED("upstream_key_refused",
      "the upstream refused the key (401, 402 or 403): expired, revoked or out of credit"),
  UPSTREAM_ERROR("upstream_error", "the upstream answered with a server error (5xx)");

  private final String code;
  private final String message;

  AttemptCode(String code, String message) {
    this.code = code;
    this.message = message;
  }

  public String code() {
    return code;
  }

  /** What stopped a target whose upstream answered {@code status}, a status that falls back. */
  public static AttemptCode forStatus(int status) {
    return status == 429 ? UPSTREAM_RATE_LIMITED
        : status >= 500 ? UPSTREAM_ERROR : UPSTREAM_KEY_REFUSED;
  }

  /** As the reason an attempt ended. */
  public ProxyException exception() {
    return new ProxyException(new ProxyError(502, code, message));
  }
}
