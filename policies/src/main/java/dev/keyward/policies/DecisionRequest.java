package dev.keyward.policies;

import java.util.Objects;
import java.util.Set;

/**
 * What the policy needs to decide one request: who (from the verified platform token), which
 * credential, where, and how.
 */
public record DecisionRequest(
    String agent, String tenant, Set<String> groups, String credentialId, Target target,
    String method) {

  public DecisionRequest {
    Objects.requireNonNull(agent, "agent");
    Objects.requireNonNull(tenant, "tenant");
    groups = Set.copyOf(groups);
    Objects.requireNonNull(credentialId, "credentialId");
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(method, "method");
  }
}
