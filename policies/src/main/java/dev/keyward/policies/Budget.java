package dev.keyward.policies;

import dev.keyward.llm.budget.BudgetLimits;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A budget from the policy: which requests it counts (subjects selected as grants select them,
 * {@link SubjectSelection}, plus credentials), what it counts them per ({@link BudgetScope}), and its limits. A budget with
 * no subject list counts every request, each subject of its scope separately.
 *
 * @param plan the plan its money limit came from, if any; for people, not for arithmetic
 */
public record Budget(
    String name,
    BudgetScope scope,
    Set<String> agents,
    Set<String> tenants,
    Set<String> groups,
    Set<String> credentials,
    Optional<String> plan,
    BudgetLimits limits,
    OnStoreFailure onStoreFailure) implements SubjectSelection {

  public Budget {
    Names.require(name, "budget");
    Objects.requireNonNull(scope, "scope");
    agents = Set.copyOf(agents);
    tenants = Set.copyOf(tenants);
    groups = Set.copyOf(groups);
    credentials = Set.copyOf(credentials);
    Objects.requireNonNull(plan, "plan");
    Objects.requireNonNull(limits, "limits");
    Objects.requireNonNull(onStoreFailure, "onStoreFailure");
  }

  /** True when it selects the agent as a grant would, and names the credential or none. */
  boolean appliesTo(String agent, String tenant, Set<String> agentGroups, String credentialId) {
    return (credentials.isEmpty() || credentials.contains(credentialId))
        && appliesTo(agent, tenant, agentGroups);
  }
}
