package dev.keyward.llm.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.keyward.llm.routing.CircuitBreaker.Permit;
import dev.keyward.llm.routing.CircuitBreaker.Result;
import dev.keyward.llm.routing.CircuitBreaker.State;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class CircuitBreakerTest {

  static final BreakerSettings THREE_FAILURES = new BreakerSettings(3, 0, 1,
      Duration.ofSeconds(60), Duration.ofSeconds(30));
  static final BreakerSettings HALF_OF_FOUR = new BreakerSettings(0, 0.5, 4,
      Duration.ofSeconds(60), Duration.ofSeconds(30));

  final CircuitBreaker breaker = new CircuitBreaker();

  void call(Result result, BreakerSettings settings, long now) {
    Permit permit = breaker.acquire(settings, now);
    assertEquals(Permit.CALL, permit);
    breaker.record(permit, result, settings, now);
  }

  State state(BreakerSettings settings, long now) {
    return breaker.snapshot(settings, now).state();
  }

  @Test
  void opensAfterTheFailureCountWithinTheWindow() {
    call(Result.FAILURE, THREE_FAILURES, 0);
    call(Result.FAILURE, THREE_FAILURES, 1_000);
    assertEquals(State.CLOSED, state(THREE_FAILURES, 1_000));
    call(Result.FAILURE, THREE_FAILURES, 2_000);
    assertEquals(State.OPEN, state(THREE_FAILURES, 2_000));
    assertEquals(Permit.REFUSED, breaker.acquire(THREE_FAILURES, 2_001));
  }

  @Test
  void failuresOlderThanTheWindowAgeOut() {
    call(Result.FAILURE, THREE_FAILURES, 0);
    call(Result.FAILURE, THREE_FAILURES, 1_000);
    call(Result.FAILURE, THREE_FAILURES, 70_000);
    assertEquals(State.CLOSED, state(THREE_FAILURES, 70_000));
    assertEquals(1, breaker.snapshot(THREE_FAILURES, 70_000).failures());
  }

  @Test
  void opensOnTheRatioOnlyOnceTheMinimumOfCallsWasJudged() {
    call(Result.FAILURE, HALF_OF_FOUR, 0);
    call(Result.FAILURE, HALF_OF_FOUR, 10);
    call(Result.FAILURE, HALF_OF_FOUR, 20);
    assertEquals(State.CLOSED, state(HALF_OF_FOUR, 20), "three calls are under min_calls");
    call(Result.SUCCESS, HALF_OF_FOUR, 30);
    call(Result.FAILURE, HALF_OF_FOUR, 40);
    assertEquals(State.OPEN, state(HALF_OF_FOUR, 40), "four of five failed");
  }

  @Test
  void successesKeepTheRatioUnderItsThreshold() {
    for (int i = 0; i < 6; i++) {
      call(Result.SUCCESS, HALF_OF_FOUR, i);
    }
    call(Result.FAILURE, HALF_OF_FOUR, 10);
    call(Result.FAILURE, HALF_OF_FOUR, 11);
    assertEquals(State.CLOSED, state(HALF_OF_FOUR, 11), "two of eight");
  }

  @Test
  void ignoredResultsCountNeitherWay() {
    for (int i = 0; i < 10; i++) {
      call(Result.IGNORED, THREE_FAILURES, i);
    }
    CircuitBreaker.Snapshot snapshot = breaker.snapshot(THREE_FAILURES, 10);
    assertEquals(State.CLOSED, snapshot.state());
    assertEquals(0, snapshot.calls());
  }

  @Test
  void anOpenCircuitLetsOneProbeThroughOnceOpenForHasPassed() {
    open(0);
    assertEquals(Permit.REFUSED, breaker.acquire(THREE_FAILURES, 29_999));
    assertEquals(Permit.PROBE, breaker.acquire(THREE_FAILURES, 30_000));
    assertEquals(Permit.REFUSED, breaker.acquire(THREE_FAILURES, 30_001), "one probe at a time");
    assertEquals(State.HALF_OPEN, state(THREE_FAILURES, 30_001));
  }

  @Test
  void aSuccessfulProbeClosesTheCircuit() {
    open(0);
    Permit probe = breaker.acquire(THREE_FAILURES, 30_000);
    breaker.record(probe, Result.SUCCESS, THREE_FAILURES, 30_100);
    assertEquals(State.CLOSED, state(THREE_FAILURES, 30_100));
    assertEquals(Permit.CALL, breaker.acquire(THREE_FAILURES, 30_101));
  }

  @Test
  void aFailedProbeOpensTheCircuitForAnotherOpenFor() {
    open(0);
    Permit probe = breaker.acquire(THREE_FAILURES, 30_000);
    breaker.record(probe, Result.FAILURE, THREE_FAILURES, 31_000);
    assertEquals(State.OPEN, state(THREE_FAILURES, 31_000));
    assertEquals(Permit.REFUSED, breaker.acquire(THREE_FAILURES, 60_999));
    assertEquals(Permit.PROBE, breaker.acquire(THREE_FAILURES, 61_000));
  }

  @Test
  void anIgnoredProbeFreesTheProbeWithoutClosing() {
    open(0);
    Permit probe = breaker.acquire(THREE_FAILURES, 30_000);
    breaker.record(probe, Result.IGNORED, THREE_FAILURES, 30_010);
    assertEquals(State.HALF_OPEN, state(THREE_FAILURES, 30_010));
    assertEquals(Permit.PROBE, breaker.acquire(THREE_FAILURES, 30_020));
  }

  @Test
  void aProbeThatNeverReportsIsGivenUpAfterItsLease() {
    open(0);
    breaker.acquire(THREE_FAILURES, 30_000);
    long lease = CircuitBreaker.PROBE_LEASE.toMillis();
    assertEquals(Permit.REFUSED, breaker.acquire(THREE_FAILURES, 30_000 + lease - 1));
    assertEquals(Permit.PROBE, breaker.acquire(THREE_FAILURES, 30_000 + lease));
  }

  @Test
  void resultsOfCallsLetThroughBeforeTheCircuitOpenedChangeNothing() {
    Permit early = breaker.acquire(THREE_FAILURES, 0);
    open(1);
    breaker.record(early, Result.SUCCESS, THREE_FAILURES, 2);
    assertEquals(State.OPEN, state(THREE_FAILURES, 2));
  }

  @Test
  void aLateFailureCountsWhileClosed() {
    call(Result.SUCCESS, THREE_FAILURES, 0);
    breaker.recordLateFailure(THREE_FAILURES, 1);
    breaker.recordLateFailure(THREE_FAILURES, 2);
    breaker.recordLateFailure(THREE_FAILURES, 3);
    assertEquals(State.OPEN, state(THREE_FAILURES, 3));
  }

  private void open(long now) {
    for (int i = 0; i < 3; i++) {
      call(Result.FAILURE, THREE_FAILURES, now);
    }
    assertEquals(State.OPEN, state(THREE_FAILURES, now));
  }

  @Test
  void statusesOfAFailingTargetAreFailuresAndTheAgentsOwnErrorsCountNeitherWay() {
    for (int status : new int[] {401, 402, 403, 429, 500, 502, 503, 504, 529}) {
      assertEquals(Result.FAILURE, CircuitBreaker.judge(status), "status " + status);
    }
    for (int status : new int[] {400, 404, 409, 413, 422}) {
      assertEquals(Result.IGNORED, CircuitBreaker.judge(status), "status " + status);
    }
    for (int status : new int[] {200, 201, 204, 304}) {
      assertEquals(Result.SUCCESS, CircuitBreaker.judge(status), "status " + status);
    }
  }
}
