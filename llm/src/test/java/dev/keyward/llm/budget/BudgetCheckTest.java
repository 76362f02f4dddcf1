package dev.keyward.llm.budget;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyward.llm.Cost;
import dev.keyward.llm.PriceTable;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class BudgetCheckTest {

  private static final Clock CLOCK =
      Clock.fixed(Instant.parse("2026-12-31T23:59:30.250Z"), ZoneOffset.UTC);
  private static final BudgetLimits EIGHT_A_MONTH =
      BudgetLimits.money(8_000_000_000L, BudgetPeriod.monthly(1, ZoneOffset.UTC));

  private static WorstCase costing(long nanoUsd) {
    return new WorstCase("m", 10, 10, Cost.ofNanoUsd(nanoUsd));
  }

  private static List<Refusal> check(BudgetLimits limits, CounterState state, WorstCase demand) {
    return BudgetCheck.check("acme-monthly", "tenant:acme", limits, state, demand,
        CLOCK.instant());
  }

  @Test
  void aRequestThatFitsExactlyIsAdmitted() {
    assertTrue(check(EIGHT_A_MONTH, new CounterState(7_000_000_000L, 500_000_000L, 0, 0),
        costing(500_000_000L)).isEmpty());
  }

  @Test
  void oneNanoDollarOverIsRefusedWithTheResetAndRetryAfter() {
    List<Refusal> refusals = check(EIGHT_A_MONTH,
        new CounterState(7_000_000_000L, 500_000_000L, 0, 0), costing(500_000_001L));
    assertEquals(1, refusals.size());
    Refusal refusal = refusals.get(0);
    assertEquals(LimitKind.MONEY, refusal.kind());
    assertEquals("budget_exceeded", refusal.errorCode());
    assertEquals(7_500_000_000L, refusal.used());
    assertEquals(Instant.parse("2027-01-01T00:00:00Z"), refusal.resetsAt());
    assertEquals(30, refusal.retryAfterSeconds());
    assertTrue(refusal.message().contains("7.50 USD of 8.00 USD"), refusal.message());
    assertTrue(refusal.message().contains("budget 'acme-monthly' for tenant:acme"));
  }

  @Test
  void aRequestDearerThanTheWholeLimitIsToldItCanNeverFit() {
    Refusal refusal = check(EIGHT_A_MONTH, CounterState.EMPTY, costing(9_000_000_000L)).get(0);
    assertEquals("budget_exceeded", refusal.errorCode());
    assertTrue(refusal.message().contains("more than the whole limit of 8.00 USD"),
        refusal.message());
    assertTrue(refusal.message().contains("lower its max_tokens"), refusal.message());
  }

  @Test
  void reservationsInFlightCountAgainstTheLimit() {
    assertFalse(check(EIGHT_A_MONTH, new CounterState(0, 7_900_000_000L, 0, 0),
        costing(200_000_000L)).isEmpty());
  }

  @Test
  void aMoneyBudgetRefusesAnUnpricedModel() {
    WorstCase unpriced = new WorstCase("secret-model", 10, 10, Cost.UNPRICED);
    Refusal refusal = check(EIGHT_A_MONTH, CounterState.EMPTY, unpriced).get(0);
    assertEquals(LimitKind.UNPRICED_MODEL, refusal.kind());
    assertTrue(refusal.message().contains("pricing.models"), refusal.message());
  }

  @Test
  void aRateOnlyBudgetAdmitsAnUnpricedModel() {
    BudgetLimits rate = new BudgetLimits(OptionalLong.empty(), java.util.Optional.empty(),
        OptionalLong.of(60), OptionalLong.empty());
    assertTrue(check(rate, CounterState.EMPTY, new WorstCase("x", 1, 1, Cost.UNPRICED)).isEmpty());
  }

  @Test
  void requestsPerMinuteRefuseTheOneOverWithRetryAfterTheMinute() {
    BudgetLimits rate = new BudgetLimits(OptionalLong.empty(), java.util.Optional.empty(),
        OptionalLong.of(60), OptionalLong.empty());
    assertTrue(check(rate, new CounterState(0, 0, 59, 0), WorstCase.UNMETERED).isEmpty());
    Refusal refusal = check(rate, new CounterState(0, 0, 60, 0), WorstCase.UNMETERED).get(0);
    assertEquals("rate_limited", refusal.errorCode());
    assertEquals(Instant.parse("2027-01-01T00:00:00Z"), refusal.resetsAt());
    assertEquals(30, refusal.retryAfterSeconds());
  }

  @Test
  void tokensPerMinuteCountTheWorstCaseTokens() {
    BudgetLimits rate = new BudgetLimits(OptionalLong.empty(), java.util.Optional.empty(),
        OptionalLong.empty(), OptionalLong.of(1000));
    WorstCase demand = new WorstCase("m", 300, 200, Cost.ZERO);
    assertTrue(check(rate, new CounterState(0, 0, 0, 500), demand).isEmpty());
    Refusal refusal = check(rate, new CounterState(0, 0, 0, 501), demand).get(0);
    assertEquals(LimitKind.TOKENS, refusal.kind());
    assertEquals(500, refusal.requested());
  }

  @Test
  void ofSeveralRefusalsTheLongestWaitIsReported() {
    BudgetLimits both = EIGHT_A_MONTH.withRequestsPerMinute(1);
    Clock midMonth = Clock.fixed(Instant.parse("2026-12-15T12:00:00Z"), ZoneOffset.UTC);
    List<Refusal> refusals = BudgetCheck.check("b", "agent:acme/a", both,
        new CounterState(8_000_000_000L, 0, 1, 0), costing(1), midMonth.instant());
    assertEquals(2, refusals.size());
    assertEquals(LimitKind.MONEY, Refusal.mostBinding(refusals).kind());
  }

  @Test
  void theWorstCaseUsesTheRequestsCapElseTheRoutesDefault() throws Exception {
    PriceTable prices = PriceTable.fromMap(Map.of("m", Map.of("input", 1, "output", 5)));
    WorstCase capped = WorstCase.of(prices, "m", 1_000, OptionalLong.of(2_000), 4_096);
    assertEquals(2_000, capped.outputTokens());
    assertEquals(1_000L * 1_000 + 2_000L * 5_000, capped.nanoUsd());
    WorstCase uncapped = WorstCase.of(prices, "m", 1_000, OptionalLong.empty(), 4_096);
    assertEquals(4_096, uncapped.outputTokens());
    assertEquals(5_096, uncapped.tokens());
    assertFalse(WorstCase.of(prices, "other", 1, OptionalLong.empty(), 1).priced());
  }

  @Test
  void retryAfterRoundsUpToWholeSecondsAndIsNeverZero() {
    Instant now = Instant.parse("2026-12-01T10:15:59.001Z");
    assertEquals(1, RetryAfter.seconds(now, Instant.parse("2026-12-01T10:16:00Z")));
    assertEquals(1, RetryAfter.seconds(now, now));
    assertEquals(2, RetryAfter.seconds(now, Instant.parse("2026-12-01T10:16:00.002Z")));
  }
}
