package dev.keyward.llm;

import java.math.BigDecimal;

/**
 * What a call cost, in whole nano-dollars (USD × 10⁹) so that sums and budget counters are exact
 * integer arithmetic (also in Redis). A {@code long} holds up to about 9.2 billion USD.
 *
 * @param priced false when the model is not in the price table: the call is metered in tokens
 *     and counted as {@code unpriced}, never as free
 * @param nanoUsd the cost; 0 when unpriced
 */
public record Cost(boolean priced, long nanoUsd) {

  public static final Cost UNPRICED = new Cost(false, 0);
  public static final Cost ZERO = new Cost(true, 0);

  public Cost {
    if (nanoUsd < 0) {
      throw new IllegalArgumentException("a cost cannot be negative");
    }
    if (!priced && nanoUsd != 0) {
      throw new IllegalArgumentException("an unpriced cost has no amount");
    }
  }

  public static Cost ofNanoUsd(long nanoUsd) {
    return new Cost(true, nanoUsd);
  }

  /** The amount in USD, exact, with at least 6 decimals: {@code cost_usd} in audit records. */
  public BigDecimal usd() {
    BigDecimal exact = BigDecimal.valueOf(nanoUsd, 9).stripTrailingZeros();
    return exact.setScale(Math.max(6, exact.scale()));
  }

  /** The sum of two costs; unpriced if either is, so a total never hides an unknown part. */
  public Cost plus(Cost other) {
    if (!priced || !other.priced) {
      return UNPRICED;
    }
    return ofNanoUsd(Math.addExact(nanoUsd, other.nanoUsd));
  }

  /** For people: USD with at least 6 decimals ({@code 0.001234}), or {@code unpriced}. */
  public String format() {
    return priced ? usd().toPlainString() : "unpriced";
  }

  @Override
  public String toString() {
    return format();
  }
}
