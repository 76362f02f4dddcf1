package dev.keyward.proxy.admin;

import dev.keyward.policies.PolicySet;
import dev.keyward.proxy.budget.BudgetGate;
import java.util.function.Supplier;

/**
 * The running server's budgets, for {@code keyward usage}: the budgets of the policy in force, and
 * the gate that reads their counters (in the server's memory, or in Redis).
 */
public record RunningBudgets(Supplier<PolicySet> policy, BudgetGate gate) {}
