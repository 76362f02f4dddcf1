package dev.keyward.proxy.error;

import dev.keyward.policies.Decision;
import dev.keyward.token.TokenError;
import java.util.List;
import java.util.Objects;

/**
 * One failure as the agent sees it: status, stable code, message. Serialised as {@code
 * {"error":{"code":…,"message":…,"request_id":…}}}. Messages never contain secrets or tokens.
 *
 * @param attempts for {@code all_targets_failed}: what became of each target tried, in order;
 *     empty otherwise
 */
public record ProxyError(int status, String code, String message, List<Attempted> attempts) {

  /**
   * One target of a route with targets, as the agent is told of it: its name, the code of what
   * stopped it, and the upstream's status (0 when the upstream did not answer). Never its body.
   */
  public record Attempted(String target, String code, int upstreamStatus) {
    public Attempted {
      Objects.requireNonNull(target, "target");
      Objects.requireNonNull(code, "code");
    }
  }

  public ProxyError {
    Objects.requireNonNull(code, "code");
    Objects.requireNonNull(message, "message");
    attempts = List.copyOf(attempts);
  }

  public ProxyError(int status, String code, String message) {
    this(status, code, message, List.of());
  }

  /** A refused platform token: 401. */
  public static ProxyError of(TokenError error) {
    return new ProxyError(401, error.code(), error.message());
  }

  /**
   * A policy denial: 403 (a budget's: 429 or 503) with the decision's code and what the agent may
   * be told of it.
   */
  public static ProxyError of(Decision denial) {
    return new ProxyError(denial.status(), denial.code(), denial.messageForAgent());
  }

  public static ProxyError of(ErrorCode code) {
    return new ProxyError(code.status(), code.code(), code.message());
  }
}
