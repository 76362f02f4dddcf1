package dev.keyward.policies;

import static dev.keyward.policies.PolicyLoaderTest.testdata;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyward.llm.budget.BudgetPeriod;
import dev.keyward.llm.budget.Period;
import java.time.DayOfWeek;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BudgetPolicyTest {

  private static PolicySet example() throws Exception {
    return PolicyLoader.load(testdata("budgets.yaml"));
  }

  private static List<PolicyProblem> problemsOf(String file) {
    return assertThrows(InvalidPolicyException.class, () -> PolicyLoader.load(testdata(file)))
        .problems();
  }

  private static Budget budget(PolicySet policy, String name) {
    return policy.budgets().stream().filter(b -> b.name().equals(name)).findFirst().orElseThrow();
  }

  @Test
  void theIssuesExampleLoads() throws Exception {
    PolicySet policy = example();
    assertEquals(5, policy.budgets().size());
    Budget monthly = budget(policy, "acme-monthly");
    assertEquals(BudgetScope.TENANT, monthly.scope());
    assertEquals("lite", monthly.plan().orElseThrow());
    assertEquals(8_000_000_000L, monthly.limits().nanoUsd().getAsLong());
    assertEquals(BudgetPeriod.monthly(1, ZoneOffset.UTC), monthly.limits().period().orElseThrow());
    assertEquals(OnStoreFailure.DENY, monthly.onStoreFailure());

    Budget perAgent = budget(policy, "per-agent-cap");
    assertEquals(2_000_000_000L, perAgent.limits().nanoUsd().getAsLong());
    assertEquals(Period.DAILY, perAgent.limits().period().orElseThrow().period());
    assertEquals(60, perAgent.limits().requestsPerMinute().getAsLong());
    assertEquals(200_000, perAgent.limits().tokensPerMinute().getAsLong());
  }

  @Test
  void aPlanGivesItsAmountAndRatesAndTheBudgetItsCycle() throws Exception {
    Budget globex = budget(example(), "globex-billing");
    assertEquals(25_000_000_000L, globex.limits().nanoUsd().getAsLong());
    assertEquals(120, globex.limits().requestsPerMinute().getAsLong());
    assertEquals(BudgetPeriod.monthly(15, ZoneId.of("America/New_York")),
        globex.limits().period().orElseThrow());
  }

  @Test
  void weeklyResetDaysAreWeekdaysAndStoreFailureMayBeAllowedByName() throws Exception {
    Budget weekly = budget(example(), "openrouter-weekly");
    assertEquals(BudgetPeriod.weekly(DayOfWeek.SUNDAY, ZoneOffset.UTC),
        weekly.limits().period().orElseThrow());
    assertEquals(OnStoreFailure.ALLOW, weekly.onStoreFailure());
  }

  @Test
  void theBudgetsOfARequestComeWithTheSubjectEachCountsFor() throws Exception {
    List<ApplicableBudget> budgets =
        example().budgetsFor("agent-7", "acme", Set.of(), "openrouter");
    assertEquals(List.of("acme-monthly", "per-agent-cap", "openrouter-weekly"),
        budgets.stream().map(ApplicableBudget::name).toList());
    assertEquals(List.of("tenant:acme", "agent:acme/agent-7", "tenant_credential:acme/openrouter"),
        budgets.stream().map(ApplicableBudget::subject).toList());
  }

  @Test
  void budgetsSelectByGroupsAndCredentialsAsGrantsDo() throws Exception {
    PolicySet policy = example();
    assertEquals(List.of("credential:anthropic"),
        policy.budgetsFor("bot", "initech", Set.of("research"), "anthropic").stream()
            .map(ApplicableBudget::subject).toList());
    assertEquals(List.of(), policy.budgetsFor("bot", "initech", Set.of("sales"), "anthropic"));
    assertEquals(List.of("globex-billing"),
        policy.budgetsFor("bot", "globex", Set.of(), "anthropic").stream()
            .map(ApplicableBudget::name).toList());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      budget_unknown_plan.yaml              | 11 | unknown plan 'gold'; define it under 'plans' (defined: lite, pro)
      budget_bad_period.yaml                | 8  | unknown period 'yearly'; use daily, weekly or monthly
      budget_negative_amount.yaml           | 7  | is negative; write 0 or more USD
      budget_unknown_timezone.yaml          | 9  | unknown timezone 'Europe/Pari'; did you mean 'Europe/Paris'?
      budget_reset_day_out_of_range.yaml    | 9  | reset_day 32 is out of range for a monthly budget; use a day of the month, 1-31
      budget_bad_weekday.yaml               | 9  | use monday … sunday
      budget_reset_day_on_daily.yaml        | 9  | a daily budget starts over every midnight; remove reset_day
      budget_unknown_scope.yaml             | 6  | unknown scope 'team'; use tenant, agent, credential or tenant_credential
      budget_without_limit.yaml             | 5  | budget 'acme' sets no limit; add a plan, usd with period, requests_per_minute or tokens_per_minute
      budget_duplicate_name.yaml            | 9  | duplicate budget name 'acme'
      budget_plan_and_usd.yaml              | 10 | sets both 'plan' and 'usd'
      budget_usd_without_period.yaml        | 7  | sets usd but no period; add period: monthly, weekly or daily
      budget_quoted_amount.yaml             | 7  | 'usd' must be a number of USD; remove the quotes
      budget_zero_rate.yaml                 | 7  | 'requests_per_minute' must be a whole number, 1 or more
      budget_unknown_credential.yaml        | 7  | unknown credential 'openruoter'; define it under 'credentials'
      budget_unknown_on_store_failure.yaml  | 9  | unknown on_store_failure 'open'; use deny
      budget_timezone_without_period.yaml   | 8  | 'timezone' applies to a money period
      budget_unknown_field.yaml             | 9  | unknown field 'request_per_minute'; did you mean 'requests_per_minute'?
      budget_rate_in_plan_and_budget.yaml   | 10 | sets requests_per_minute, and so does plan 'pro'; set it in one place
      """)
  void eachMistakeIsReportedAtItsLineWithTheFix(String file, int line, String message) {
    List<PolicyProblem> problems = problemsOf(file);
    assertEquals(1, problems.size(), problems.toString());
    PolicyProblem problem = problems.get(0);
    assertTrue(problem.message().contains(message), problem.toString());
    assertEquals(line, problem.line(), problem.toString());
    assertTrue(problem.toString().startsWith(testdata(file) + ":" + line + ":"), problem.toString());
  }

  @Test
  void aPlanSetsExactlyOneAmount() {
    List<PolicyProblem> problems = problemsOf("plan_amounts.yaml");
    assertEquals(2, problems.size(), problems.toString());
    assertTrue(problems.get(0).message().contains("plan 'lite' needs exactly one of"),
        problems.toString());
    assertTrue(problems.get(1).message().contains("plan 'free' needs exactly one of"),
        problems.toString());
  }

  @Test
  void everyBudgetProblemIsReportedInOneRun() {
    String all = String.join("\n",
        problemsOf("budget_many_problems.yaml").stream().map(PolicyProblem::toString).toList());
    for (String expected : List.of("'usd_per_month': the amount -8 is negative",
        "invalid budget name 'Acme Monthly'", "budget 'Acme Monthly': unknown scope 'teams'",
        "unknown plan 'gold'", "a budget needs a 'name'", "more than 9 decimals",
        "budget #2: unknown period 'hourly'", "unknown timezone 'Mars/Olympus'",
        "'tokens_per_minute' must be a whole number", "unknown on_store_failure 'maybe'",
        "budget 'empty' sets no limit")) {
      assertTrue(all.contains(expected), expected + " missing from\n" + all);
    }
  }
}
