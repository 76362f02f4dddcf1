package dev.keyward.proxy.budget;

import dev.keyward.llm.budget.Window;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * One subject's use of one budget now, for {@code keyward usage} and the admin API.
 *
 * @param moneyWindow the current money window (its end is the reset), when money is limited
 * @param spentNanoUsd settled spend in that window, holds charged at the end of their lease included
 * @param heldNanoUsd reserved by calls still running
 * @param requestsThisMinute requests started in the current UTC minute
 * @param tokensThisMinute tokens of the requests started in the current UTC minute
 */
public record BudgetUsage(String budget, String subject, Optional<Window> moneyWindow,
    OptionalLong limitNanoUsd, long spentNanoUsd, long heldNanoUsd,
    OptionalLong requestsPerMinute, long requestsThisMinute, OptionalLong tokensPerMinute,
    long tokensThisMinute) {

  /** Left of the money limit after spend and holds (0 once used up); empty without one. */
  public OptionalLong remainingNanoUsd() {
    return limitNanoUsd.isEmpty() ? OptionalLong.empty()
        : OptionalLong.of(Math.max(0, limitNanoUsd.getAsLong() - spentNanoUsd - heldNanoUsd));
  }

  /** Spend and holds reach the money limit: only a call that costs nothing still fits. */
  public boolean moneyAtLimit() {
    return limitNanoUsd.isPresent() && spentNanoUsd + heldNanoUsd >= limitNanoUsd.getAsLong();
  }

  /** This minute's requests reach the limit: the next request waits for the next minute. */
  public boolean requestsAtLimit() {
    return requestsPerMinute.isPresent() && requestsThisMinute >= requestsPerMinute.getAsLong();
  }

  /** This minute's tokens reach the limit. */
  public boolean tokensAtLimit() {
    return tokensPerMinute.isPresent() && tokensThisMinute >= tokensPerMinute.getAsLong();
  }

  /** Any of its limits is reached. */
  public boolean atLimit() {
    return moneyAtLimit() || requestsAtLimit() || tokensAtLimit();
  }
}
