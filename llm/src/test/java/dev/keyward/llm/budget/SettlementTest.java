package dev.keyward.llm.budget;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyward.llm.Cost;
import dev.keyward.llm.Usage;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SettlementTest {

  @Test
  void aSettledHoldIsReplacedByTheCharge() {
    assertEquals(1234, Settlement.spendDelta(true, 5000, 1234));
  }

  @Test
  void aSettleAfterTheLeaseEndedCorrectsTheFullChargeAlreadyMade() {
    assertEquals(1234 - 5000, Settlement.spendDelta(false, 5000, 1234));
    assertEquals(1000, Settlement.spendDelta(false, 5000, 6000));
  }

  @Test
  void aCutStreamIsChargedItsEstimateNotZero() {
    Usage cut = new Usage(1000, 37, 0, 0, true, "m");
    Charge charge = Charge.of(Cost.ofNanoUsd(42_000), cut);
    assertEquals(42_000, charge.nanoUsd());
    assertEquals(1037, charge.tokens());
  }

  @Test
  void aStreamIsStoppedOnceItsMeteredCostPassesItsReservation() {
    assertFalse(Settlement.exceedsReservation(1000, 1000));
    assertTrue(Settlement.exceedsReservation(1000, 1001));
  }

  @Test
  void theBoundIsTheLimitPlusTheOvershootOfCallsInFlight() {
    assertEquals(100, Settlement.bound(100));
    assertEquals(100 + 7 + 3, Settlement.bound(100, 7, -5, 3));
    assertEquals(0, Settlement.overshoot(10, 4));
    assertEquals(6, Settlement.overshoot(4, 10));
  }

  /**
   * Random interleavings of admissions and settlements against one money window, with calls
   * costing up to twice their reservation: the final spend never passes the limit plus the
   * overshoot of the calls in flight at the last admission, and with no overshoot never passes
   * the limit.
   */
  @Test
  void noInterleavingSpendsPastTheBound() {
    Random random = new Random(18);
    BudgetLimits limits = BudgetLimits.money(1_000_000, BudgetPeriod.daily(ZoneOffset.UTC));
    Instant now = Instant.parse("2026-12-01T12:00:00Z");
    for (int round = 0; round < 500; round++) {
      boolean overshooting = round % 2 == 0;
      long spent = 0;
      long held = 0;
      Map<Integer, long[]> inFlight = new HashMap<>(); // id → {reserved, actual}
      List<Long> overshootsAtLastAdmission = new ArrayList<>();
      for (int step = 0, id = 0; step < 400; step++) {
        if (random.nextBoolean() || inFlight.isEmpty()) {
          long reserved = 1 + random.nextInt(60_000);
          long actual = overshooting ? random.nextInt((int) reserved * 2) : random.nextInt((int) reserved + 1);
          if (BudgetCheck.check("b", "s", limits, new CounterState(spent, held, 0, 0),
              new WorstCase("m", 0, 0, Cost.ofNanoUsd(reserved)), now).isEmpty()) {
            held += reserved;
            inFlight.put(id++, new long[] {reserved, actual});
            overshootsAtLastAdmission = new ArrayList<>();
            for (long[] call : inFlight.values()) {
              overshootsAtLastAdmission.add(Settlement.overshoot(call[0], call[1]));
            }
          }
        } else {
          int settled = inFlight.keySet().iterator().next();
          long[] call = inFlight.remove(settled);
          held -= call[0];
          spent += Settlement.spendDelta(true, call[0], call[1]);
        }
      }
      for (long[] call : inFlight.values()) {
        held -= call[0];
        spent += call[1];
      }
      long bound = Settlement.bound(limits.nanoUsd().getAsLong(),
          overshootsAtLastAdmission.stream().mapToLong(Long::longValue).toArray());
      assertTrue(spent <= bound, "round " + round + ": " + spent + " > " + bound);
      if (!overshooting) {
        assertTrue(spent <= limits.nanoUsd().getAsLong());
      }
      assertEquals(0, held);
    }
  }
}
