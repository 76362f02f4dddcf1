package dev.keyward.proxy;

import dev.keyward.policies.PolicySet;
import java.util.Objects;

/**
 * The policy in force. A reload swaps in a new {@link PolicySet} atomically; a request reads the
 * reference once when it starts and keeps that policy to the end.
 */
public final class PolicyHolder {

  private volatile PolicySet current;

  public PolicyHolder(PolicySet initial) {
    this.current = Objects.requireNonNull(initial, "initial");
  }

  public PolicySet current() {
    return current;
  }

  public void replace(PolicySet next) {
    this.current = Objects.requireNonNull(next, "next");
  }
}
