package dev.keyward.llm.budget;

/**
 * The settle arithmetic, shared by every store.
 *
 * <p>A reservation holds the worst case until it is settled to the call's {@link Charge}: the hold
 * is removed and the charge added to the spend. A hold whose lease ends unsettled (its replica
 * crashed, or the store lost the settle) is charged in full: the call may have reached the
 * provider and been billed, and the worst case is the most it can have cost. When the settle
 * arrives after all, it corrects that charge to the metered one.
 */
public final class Settlement {

  private Settlement() {}

  /**
   * What a settle adds to the spend of a money window.
   *
   * @param holdPresent false when the hold's lease ended and it was charged at {@code reserved}
   * @return the charge, or the correction of the charge already made (negative when the call cost
   *     less than its worst case)
   */
  public static long spendDelta(boolean holdPresent, long reserved, long actual) {
    return holdPresent ? actual : actual - reserved;
  }

  /** What a settle adds to the tokens of the minute the request started in (often negative). */
  public static long tokensDelta(long reservedTokens, long actualTokens) {
    return actualTokens - reservedTokens;
  }

  /** How far a call went past its reservation: what can carry spend past a limit. */
  public static long overshoot(long reserved, long actual) {
    return Math.max(0, actual - reserved);
  }

  /**
   * True when a running call's metered cost has passed what was reserved for it: the proxy stops
   * such a stream with a final error event rather than let it spend another budget's money.
   */
  public static boolean exceedsReservation(long reserved, long meteredSoFar) {
    return meteredSoFar > reserved;
  }

  /**
   * The most a money window can hold once every call has settled: the limit plus the overshoot of
   * the calls that were in flight when the last request was admitted. Every admission checked
   * {@code settled + held + worst case ≤ limit}; afterwards only calls that cost more than their
   * reservation can add beyond it, and none is admitted once the limit is reached.
   *
   * @param overshoots {@link #overshoot} of each call in flight at the last admission
   */
  public static long bound(long limit, long... overshoots) {
    long total = limit;
    for (long o : overshoots) {
      total = BudgetCheck.saturatingAdd(total, Math.max(0, o));
    }
    return total;
  }
}
