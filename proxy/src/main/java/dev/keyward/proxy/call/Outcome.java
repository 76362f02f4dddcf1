package dev.keyward.proxy.call;

import dev.keyward.policies.Decision;
import dev.keyward.proxy.error.ProxyError;
import java.util.Optional;

/**
 * How a call ended, as the agent saw it.
 *
 * @param status the status the agent got
 * @param failure why it was refused or failed; empty when it was served
 * @param denial the policy's refusal, when the policy refused it (at any stage)
 * @param cut true when the response had started and then broke off (the agent's stream was reset)
 */
public record Outcome(int status, Optional<ProxyError> failure, Optional<Decision> denial,
    boolean cut) {

  public static Outcome served(int status) {
    return new Outcome(status, Optional.empty(), Optional.empty(), false);
  }

  public static Outcome refused(ProxyError error, Optional<Decision> denial) {
    return new Outcome(error.status(), Optional.of(error), denial, false);
  }

  public static Outcome cut(int status, ProxyError error) {
    return new Outcome(status, Optional.of(error), Optional.empty(), true);
  }
}
