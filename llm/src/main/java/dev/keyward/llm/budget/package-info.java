/**
 * Budget and rate-limit arithmetic, exact on nano-dollar {@code long}s and with no storage or
 * HTTP: the stores in {@code proxy} apply it.
 *
 * <p>Per request: {@link dev.keyward.llm.budget.WorstCase#of} is what to reserve; each applicable
 * budget's {@link dev.keyward.llm.budget.BudgetLimits} give its windows ({@link
 * dev.keyward.llm.budget.BudgetPeriod#windowAt}, {@link dev.keyward.llm.budget.Window#minuteAt});
 * {@link dev.keyward.llm.budget.BudgetCheck#check} says whether it fits, or why not ({@link
 * dev.keyward.llm.budget.Refusal}, with {@code Retry-After}). When the call ends, its {@link
 * dev.keyward.llm.budget.Charge} settles the reservation ({@link
 * dev.keyward.llm.budget.Settlement}), which also states the overspend bound.
 */
package dev.keyward.llm.budget;
