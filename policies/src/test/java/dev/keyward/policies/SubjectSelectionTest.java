package dev.keyward.policies;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyward.llm.budget.BudgetLimits;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Grants and budgets select their subjects with one rule. */
class SubjectSelectionTest {

  private static final BudgetLimits RATE = new BudgetLimits(OptionalLong.empty(), Optional.empty(),
      OptionalLong.of(60), OptionalLong.empty());

  private static Grant grant(Set<String> agents, Set<String> tenants, Set<String> groups) {
    return new Grant("g", agents, tenants, groups, Set.of("openrouter"), Set.of(), List.of(),
        Mode.ENFORCE);
  }

  private static Budget budget(Set<String> agents, Set<String> tenants, Set<String> groups,
      Set<String> credentials) {
    return new Budget("b", BudgetScope.AGENT, agents, tenants, groups, credentials,
        Optional.empty(), RATE, OnStoreFailure.DENY);
  }

  @Test
  void aBudgetSelectsTheAgentsAGrantWithTheSameListsSelects() {
    List<Set<String>> agentLists = List.of(Set.of(), Set.of("agent-7"), Set.of("agent-8"));
    List<Set<String>> tenantLists = List.of(Set.of(), Set.of("acme"), Set.of("globex"));
    List<Set<String>> groupLists = List.of(Set.of(), Set.of("ops"), Set.of("ops", "dev"),
        Set.of("finance"));
    List<Set<String>> agentGroups = List.of(Set.of(), Set.of("dev"), Set.of("finance", "ops"));
    int selected = 0;
    for (Set<String> agents : agentLists) {
      for (Set<String> tenants : tenantLists) {
        for (Set<String> groups : groupLists) {
          Grant grant = grant(agents, tenants, groups);
          Budget budget = budget(agents, tenants, groups, Set.of());
          for (Set<String> memberOf : agentGroups) {
            boolean granted = grant.appliesTo("agent-7", "acme", memberOf);
            assertEquals(granted, budget.appliesTo("agent-7", "acme", memberOf, "openrouter"),
                agents + " " + tenants + " " + groups + " for a member of " + memberOf);
            selected += granted ? 1 : 0;
          }
        }
      }
    }
    assertTrue(selected > 0 && selected < 3 * 3 * 4 * 3, "selected " + selected);
  }

  @Test
  void everyListItNamesMustMatchAndAnyEntryWithinIt() {
    Grant grant = grant(Set.of("agent-7", "agent-8"), Set.of("acme"), Set.of("ops", "dev"));
    assertTrue(grant.appliesTo("agent-8", "acme", Set.of("dev")));
    assertFalse(grant.appliesTo("agent-8", "globex", Set.of("dev")));
    assertFalse(grant.appliesTo("agent-9", "acme", Set.of("dev")));
    assertFalse(grant.appliesTo("agent-8", "acme", Set.of("finance")));
    assertFalse(grant.appliesTo("agent-8", "acme", Set.of()));
  }

  @Test
  void aBudgetAlsoSelectsByCredential() {
    Budget budget = budget(Set.of(), Set.of("acme"), Set.of(), Set.of("openrouter"));
    assertTrue(budget.appliesTo("agent-7", "acme", Set.of(), "openrouter"));
    assertFalse(budget.appliesTo("agent-7", "acme", Set.of(), "anthropic"));
    assertFalse(budget.appliesTo("agent-7", "globex", Set.of(), "openrouter"));
  }
}
