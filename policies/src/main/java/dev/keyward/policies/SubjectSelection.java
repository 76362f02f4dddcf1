package dev.keyward.policies;

import java.util.Set;

/**
 * Which agents a policy entry is about, the same for grants and budgets: every subject list it
 * names must match, any entry within a list; a list left empty matches everyone.
 */
interface SubjectSelection {

  Set<String> agents();

  Set<String> tenants();

  Set<String> groups();

  /** True when the agent, its tenant and one of its groups are in the lists this names. */
  default boolean appliesTo(String agent, String tenant, Set<String> agentGroups) {
    if (!agents().isEmpty() && !agents().contains(agent)
        || !tenants().isEmpty() && !tenants().contains(tenant)) {
      return false;
    }
    if (groups().isEmpty()) {
      return true;
    }
    for (String group : agentGroups) {
      if (groups().contains(group)) {
        return true;
      }
    }
    return false;
  }
}
