package dev.keyward.llm.budget;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The read-check part of read-check-reserve for one budget and subject: would this request still
 * fit? The embedded store calls it under its lock; the Redis store runs the same rules in its
 * reservation script, and both are tested against the same cases.
 *
 * <ul>
 *   <li>money: {@code spent + held + worst case ≤ limit}, so parallel requests cannot together
 *       pass a limit that each alone would fit;
 *   <li>an unpriced model is refused by any money limit;
 *   <li>requests: {@code requests this minute + 1 ≤ limit};
 *   <li>tokens: {@code tokens this minute + worst-case tokens ≤ limit}.
 * </ul>
 */
public final class BudgetCheck {

  private BudgetCheck() {}

  /** Every limit the request would break, empty when it fits. */
  public static List<Refusal> check(String budget, String subject, BudgetLimits limits,
      CounterState state, WorstCase demand, Instant now) {
    List<Refusal> refusals = new ArrayList<>(1);
    if (limits.limitsMoney()) {
      Window window = limits.moneyWindow(now).orElseThrow();
      long limit = limits.nanoUsd().getAsLong();
      long used = saturatingAdd(state.spentNanoUsd(), state.heldNanoUsd());
      if (!demand.priced()) {
        refusals.add(refusal(budget, subject, LimitKind.UNPRICED_MODEL, 0, used, 0, window, now));
      } else if (saturatingAdd(used, demand.nanoUsd()) > limit) {
        refusals.add(refusal(budget, subject, LimitKind.MONEY, limit, used, demand.nanoUsd(),
            window, now));
      }
    }
    Window minute = Window.minuteAt(now);
    if (limits.requestsPerMinute().isPresent()
        && state.requests() + 1 > limits.requestsPerMinute().getAsLong()) {
      refusals.add(refusal(budget, subject, LimitKind.REQUESTS,
          limits.requestsPerMinute().getAsLong(), state.requests(), 1, minute, now));
    }
    if (limits.tokensPerMinute().isPresent()
        && saturatingAdd(state.tokens(), demand.tokens()) > limits.tokensPerMinute().getAsLong()) {
      refusals.add(refusal(budget, subject, LimitKind.TOKENS, limits.tokensPerMinute().getAsLong(),
          state.tokens(), demand.tokens(), minute, now));
    }
    return refusals;
  }

  /** A refusal of {@code kind}, resetting at the end of {@code window}. */
  public static Refusal refusal(String budget, String subject, LimitKind kind, long limit,
      long used, long requested, Window window, Instant now) {
    return new Refusal(budget, subject, kind, limit, used, requested, window.end(),
        RetryAfter.seconds(now, window.end()));
  }

  static long saturatingAdd(long a, long b) {
    long sum = a + b;
    return ((a ^ sum) & (b ^ sum)) < 0 ? Long.MAX_VALUE : sum;
  }
}
