package dev.keyward.proxy.budget;

import static dev.keyward.proxy.budget.Budgets.DOLLAR;
import static dev.keyward.proxy.budget.Budgets.await;
import static dev.keyward.proxy.budget.Budgets.costing;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyward.llm.Cost;
import dev.keyward.llm.budget.Charge;
import dev.keyward.llm.budget.LimitKind;
import dev.keyward.llm.budget.Refusal;
import dev.keyward.llm.budget.WorstCase;
import dev.keyward.policies.ApplicableBudget;
import dev.keyward.vault.MutableClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What every budget store does, run against each one: the embedded store and a real Redis. The
 * clock is injected and moved by hand.
 */
abstract class BudgetStoreContract {

  static final Instant START = Instant.parse("2026-12-31T23:58:10Z");
  static final Duration LEASE = Duration.ofMinutes(65);

  final MutableClock clock = new MutableClock(START);
  final BudgetCounters counters = new BudgetCounters();

  abstract BudgetStore store();

  Reservation admitted(List<ApplicableBudget> budgets, WorstCase demand) throws Exception {
    return assertInstanceOf(Admission.Admitted.class, await(store().reserve(budgets, demand)))
        .reservation();
  }

  Refusal refused(List<ApplicableBudget> budgets, WorstCase demand) throws Exception {
    return assertInstanceOf(Admission.Refused.class, await(store().reserve(budgets, demand)))
        .refusal();
  }

  BudgetUsage usageOf(String budget, String subject) throws Exception {
    return await(store().usage(Budgets.POLICY.budgets())).stream()
        .filter(u -> u.budget().equals(budget) && u.subject().equals(subject)).findFirst()
        .orElseThrow(() -> new AssertionError("no usage of " + budget + " for " + subject));
  }

  @Test
  void admitsUpToTheLimitAndRefusesTheRequestThatWouldPassIt() throws Exception {
    for (int i = 0; i < 3; i++) {
      admitted(Budgets.monthly(), costing(30 * DOLLAR / 100));
    }
    Refusal refusal = refused(Budgets.monthly(), costing(30 * DOLLAR / 100));
    assertEquals(LimitKind.MONEY, refusal.kind());
    assertEquals("budget_exceeded", refusal.errorCode());
    assertEquals("tenant:acme", refusal.subject());
    assertEquals(DOLLAR, refusal.limit());
    assertEquals(90 * DOLLAR / 100, refusal.used());
    assertEquals(Instant.parse("2027-01-01T00:00:00Z"), refusal.resetsAt());
    assertEquals(110, refusal.retryAfterSeconds());
    admitted(Budgets.monthly(), costing(10 * DOLLAR / 100));
  }

  @Test
  void aSettleReplacesTheHoldByTheMeteredCharge() throws Exception {
    Reservation reservation = admitted(Budgets.monthly(), costing(60 * DOLLAR / 100));
    assertEquals(60 * DOLLAR / 100, usageOf("acme-monthly", "tenant:acme").heldNanoUsd());
    await(store().settle(reservation, new Charge(7 * DOLLAR / 100, 500)));
    BudgetUsage usage = usageOf("acme-monthly", "tenant:acme");
    assertEquals(7 * DOLLAR / 100, usage.spentNanoUsd());
    assertEquals(0, usage.heldNanoUsd());
    assertEquals(DOLLAR, usage.limitNanoUsd().getAsLong());
    assertEquals(Instant.parse("2027-01-01T00:00:00Z"), usage.moneyWindow().orElseThrow().end());
    admitted(Budgets.monthly(), costing(93 * DOLLAR / 100));
  }

  @Test
  void aReleaseGivesTheMoneyBackButTheRequestStillCounts() throws Exception {
    List<ApplicableBudget> both = new ArrayList<>(Budgets.monthly());
    both.addAll(Budgets.perAgent());
    Reservation reservation = admitted(both, costing(DOLLAR));
    await(store().release(reservation));
    assertEquals(0, usageOf("acme-monthly", "tenant:acme").spentNanoUsd());
    assertEquals(1, usageOf("per-agent", "agent:acme/agent-7").requestsThisMinute());
    admitted(both, costing(DOLLAR));
  }

  @Test
  void aNewPeriodStartsEmptyAndTheOldWindowKeepsItsSpend() throws Exception {
    Reservation december = admitted(Budgets.monthly(), costing(DOLLAR));
    refused(Budgets.monthly(), costing(1));
    clock.advance(Duration.ofMinutes(2)); // 2027-01-01T00:00:10Z
    Reservation january = admitted(Budgets.monthly(), costing(DOLLAR));
    // A call that started in December settles into December, not into January.
    await(store().settle(december, new Charge(DOLLAR / 2, 0)));
    await(store().settle(january, new Charge(DOLLAR / 4, 0)));
    BudgetUsage usage = usageOf("acme-monthly", "tenant:acme");
    assertEquals("month-2027-01", usage.moneyWindow().orElseThrow().key());
    assertEquals(DOLLAR / 4, usage.spentNanoUsd());
    admitted(Budgets.monthly(), costing(3 * DOLLAR / 4));
  }

  @Test
  void requestsPerMinuteRefuseWithRetryAfterTheMinuteAndResetWithIt() throws Exception {
    for (int i = 0; i < 3; i++) {
      admitted(Budgets.perAgent(), WorstCase.UNMETERED);
    }
    Refusal refusal = refused(Budgets.perAgent(), WorstCase.UNMETERED);
    assertEquals(LimitKind.REQUESTS, refusal.kind());
    assertEquals("rate_limited", refusal.errorCode());
    assertEquals("agent:acme/agent-7", refusal.subject());
    assertEquals(3, refusal.used());
    assertEquals(50, refusal.retryAfterSeconds());
    clock.advance(Duration.ofSeconds(50));
    admitted(Budgets.perAgent(), WorstCase.UNMETERED);
  }

  @Test
  void tokensPerMinuteReserveTheWorstCaseAndSettleToWhatWasUsed() throws Exception {
    Reservation big = admitted(Budgets.perAgent(), Budgets.tokens(200, 600));
    Refusal refusal = refused(Budgets.perAgent(), Budgets.tokens(100, 200));
    assertEquals(LimitKind.TOKENS, refusal.kind());
    assertEquals(800, refusal.used());
    await(store().settle(big, new Charge(1, 250)));
    assertEquals(250, usageOf("per-agent", "agent:acme/agent-7").tokensThisMinute());
    admitted(Budgets.perAgent(), Budgets.tokens(100, 200));
  }

  @Test
  void anUnpricedModelIsRefusedByAMoneyBudgetAndAdmittedByARateBudget() throws Exception {
    WorstCase unpriced = new WorstCase("mystery", 10, 10, Cost.UNPRICED);
    assertEquals(LimitKind.UNPRICED_MODEL, refused(Budgets.monthly(), unpriced).kind());
    admitted(Budgets.perAgent(), unpriced);
  }

  @Test
  void theLongestWaitIsReportedWhenSeveralBudgetsRefuse() throws Exception {
    List<ApplicableBudget> both = new ArrayList<>(Budgets.monthly());
    both.addAll(Budgets.perAgent());
    clock.advance(Duration.ofDays(-20));
    admitted(both, costing(DOLLAR));
    admitted(both, costing(0));
    admitted(both, costing(0));
    Refusal refusal = refused(both, costing(1));
    assertEquals(LimitKind.MONEY, refusal.kind());
    assertEquals(Instant.parse("2027-01-01T00:00:00Z"), refusal.resetsAt());
  }

  @Test
  void aRefusedRequestTakesNothingFromAnyBudget() throws Exception {
    List<ApplicableBudget> both = new ArrayList<>(Budgets.monthly());
    both.addAll(Budgets.perAgent());
    admitted(Budgets.monthly(), costing(DOLLAR));
    refused(both, costing(1));
    assertTrue(await(store().usage(Budgets.POLICY.budgets())).stream()
        .noneMatch(u -> u.budget().equals("per-agent")), "the refused request was counted");
  }

  @Test
  void aHoldNeverSettledIsChargedInFullWhenItsLeaseEndsAndALateSettleCorrectsIt()
      throws Exception {
    clock.advance(Duration.ofDays(-10));
    Reservation lost = admitted(Budgets.monthly(), costing(40 * DOLLAR / 100));
    clock.advance(LEASE.plusSeconds(1));
    admitted(Budgets.monthly(), costing(10 * DOLLAR / 100));
    BudgetUsage usage = usageOf("acme-monthly", "tenant:acme");
    assertEquals(40 * DOLLAR / 100, usage.spentNanoUsd());
    assertEquals(10 * DOLLAR / 100, usage.heldNanoUsd());
    assertTrue(counters.holdsExpired() >= 1);
    await(store().settle(lost, new Charge(5 * DOLLAR / 100, 0)));
    assertEquals(5 * DOLLAR / 100, usageOf("acme-monthly", "tenant:acme").spentNanoUsd());
  }

  @Test
  void settlingTwiceCountsTheChargeOnce() throws Exception {
    List<ApplicableBudget> both = new ArrayList<>(Budgets.monthly());
    both.addAll(Budgets.perAgent());
    Reservation reservation = admitted(both, new WorstCase("m", 200, 600,
        Cost.ofNanoUsd(60 * DOLLAR / 100)));
    await(store().settle(reservation, new Charge(7 * DOLLAR / 100, 250)));
    await(store().settle(reservation, new Charge(7 * DOLLAR / 100, 250)));
    BudgetUsage money = usageOf("acme-monthly", "tenant:acme");
    assertEquals(7 * DOLLAR / 100, money.spentNanoUsd());
    assertEquals(0, money.heldNanoUsd());
    assertEquals(250, usageOf("per-agent", "agent:acme/agent-7").tokensThisMinute());
  }

  @Test
  void aReleaseAfterASettleAndASettleAfterAReleaseChangeNothing() throws Exception {
    Reservation settled = admitted(Budgets.monthly(), costing(30 * DOLLAR / 100));
    await(store().settle(settled, new Charge(7 * DOLLAR / 100, 0)));
    await(store().release(settled));
    Reservation released = admitted(Budgets.monthly(), costing(30 * DOLLAR / 100));
    await(store().release(released));
    await(store().settle(released, new Charge(20 * DOLLAR / 100, 0)));
    assertEquals(7 * DOLLAR / 100, usageOf("acme-monthly", "tenant:acme").spentNanoUsd());
  }

  @Test
  void aLateSettleOfAnExpiredHoldCorrectsTheChargeOnce() throws Exception {
    clock.advance(Duration.ofDays(-10));
    Reservation lost = admitted(Budgets.monthly(), costing(40 * DOLLAR / 100));
    clock.advance(LEASE.plusSeconds(1));
    admitted(Budgets.monthly(), costing(0)); // charges the expired hold
    await(store().settle(lost, new Charge(5 * DOLLAR / 100, 0)));
    await(store().settle(lost, new Charge(5 * DOLLAR / 100, 0)));
    assertEquals(5 * DOLLAR / 100, usageOf("acme-monthly", "tenant:acme").spentNanoUsd());
  }

  @Test
  void noBudgetsMeansNothingToReserve() throws Exception {
    assertSame(Reservation.NONE, admitted(List.of(), costing(DOLLAR)));
  }

  @Test
  void theGateTurnsEachAnswerIntoADecisionAndCountsItByOutcome() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    counters.bindTo(registry);
    BudgetGate gate = new BudgetGate(store(), counters);
    assertInstanceOf(BudgetDecision.Admitted.class,
        await(gate.reserve(Budgets.monthly(), costing(DOLLAR))));
    BudgetDecision.Refused refused = assertInstanceOf(BudgetDecision.Refused.class,
        await(gate.reserve(Budgets.monthly(), costing(1))));
    assertEquals("budget_exceeded", refused.refusal().errorCode());
    assertTrue(gate.storeAvailable());
    assertEquals(1.0, registry.get("keyward_budget_decisions").tag("outcome", "admitted")
        .functionCounter().count());
    assertEquals(1.0, registry.get("keyward_budget_decisions").tag("outcome", "budget_exceeded")
        .functionCounter().count());
  }

  @Test
  void theGateSettlesAnAdmissionOnce() throws Exception {
    BudgetGate gate = new BudgetGate(store(), counters);
    BudgetDecision decision = await(gate.reserve(Budgets.monthly(), costing(DOLLAR / 2)));
    assertInstanceOf(BudgetDecision.Admitted.class, decision);
    await(gate.settle(decision, new Charge(DOLLAR / 10, 0)));
    await(gate.settle(decision, new Charge(DOLLAR / 10, 0)));
    assertEquals(DOLLAR / 10, usageOf("acme-monthly", "tenant:acme").spentNanoUsd());
  }
}
