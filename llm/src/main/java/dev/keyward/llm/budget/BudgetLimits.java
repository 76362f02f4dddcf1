package dev.keyward.llm.budget;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What one budget allows, per subject: money per period, requests per minute, tokens per minute.
 * Any of them may be absent, not all.
 *
 * @param nanoUsd money per {@code period}, in nano-dollars
 * @param period when the money starts over; present exactly when {@code nanoUsd} is
 * @param requestsPerMinute requests started per UTC minute
 * @param tokensPerMinute tokens (input plus output) of the requests started per UTC minute
 */
public record BudgetLimits(OptionalLong nanoUsd, Optional<BudgetPeriod> period,
    OptionalLong requestsPerMinute, OptionalLong tokensPerMinute) {

  public BudgetLimits {
    Objects.requireNonNull(nanoUsd, "nanoUsd");
    Objects.requireNonNull(period, "period");
    Objects.requireNonNull(requestsPerMinute, "requestsPerMinute");
    Objects.requireNonNull(tokensPerMinute, "tokensPerMinute");
    if (nanoUsd.isPresent() != period.isPresent()) {
      throw new IllegalArgumentException("a money limit needs a period, and a period a money limit");
    }
    if (nanoUsd.isPresent() && (nanoUsd.getAsLong() < 0 || nanoUsd.getAsLong() > Usd.MAX_NANO_USD)) {
      throw new IllegalArgumentException("a money limit is 0 to " + Usd.format(Usd.MAX_NANO_USD));
    }
    if (requestsPerMinute.isPresent() && requestsPerMinute.getAsLong() < 1
        || tokensPerMinute.isPresent() && tokensPerMinute.getAsLong() < 1) {
      throw new IllegalArgumentException("rate limits are 1 or more per minute");
    }
    if (nanoUsd.isEmpty() && requestsPerMinute.isEmpty() && tokensPerMinute.isEmpty()) {
      throw new IllegalArgumentException("a budget sets at least one limit");
    }
  }

  public static BudgetLimits money(long nanoUsd, BudgetPeriod period) {
    return new BudgetLimits(OptionalLong.of(nanoUsd), Optional.of(period), OptionalLong.empty(),
        OptionalLong.empty());
  }

  public BudgetLimits withRequestsPerMinute(long limit) {
    return new BudgetLimits(nanoUsd, period, OptionalLong.of(limit), tokensPerMinute);
  }

  public BudgetLimits withTokensPerMinute(long limit) {
    return new BudgetLimits(nanoUsd, period, requestsPerMinute, OptionalLong.of(limit));
  }

  public boolean limitsMoney() {
    return nanoUsd.isPresent();
  }

  public boolean limitsRate() {
    return requestsPerMinute.isPresent() || tokensPerMinute.isPresent();
  }

  /** The money window holding {@code now}, when money is limited. */
  public Optional<Window> moneyWindow(Instant now) {
    return period.map(p -> p.windowAt(now));
  }
}
