package dev.keyward.policies;

import java.util.Objects;

/**
 * A budget that applies to one request, and the subject whose counters the request uses, e.g.
 * {@code agent:acme/agent-7}.
 */
public record ApplicableBudget(Budget budget, String subject) {

  public ApplicableBudget {
    Objects.requireNonNull(budget, "budget");
    Objects.requireNonNull(subject, "subject");
  }

  public String name() {
    return budget.name();
  }
}
