package dev.keyward.llm.budget;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * Money amounts of budgets, as written in a policy ({@code 25.00}) and as counted (nano-dollars,
 * USD × 10⁹, in a {@code long}), the unit of {@link dev.keyward.llm.Cost}.
 */
public final class Usd {

  /**
   * The largest budget: 9 million USD per period. Redis runs the budget scripts in Lua, whose
   * numbers are doubles, exact up to 2⁵³ ≈ 9.007 × 10¹⁵ nano-dollars; below this cap every
   * comparison in the scripts is exact.
   */
  public static final long MAX_NANO_USD = 9_000_000L * 1_000_000_000L;

  private Usd() {}

  /**
   * Reads an amount such as {@code 25}, {@code 8.00} or {@code 0.5}.
   *
   * @throws IllegalArgumentException saying what to write instead (negative, more than nine
   *     decimals, over {@link #MAX_NANO_USD}, not a number)
   */
  public static long parse(String text) {
    BigDecimal usd;
    try {
      usd = new BigDecimal(text.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + text + "' is not an amount in USD; write e.g. 25.00");
    }
    if (usd.signum() < 0) {
      throw new IllegalArgumentException("the amount " + usd.toPlainString() + " is negative;"
          + " write 0 or more USD");
    }
    if (usd.stripTrailingZeros().scale() > 9) {
      throw new IllegalArgumentException("the amount " + usd.toPlainString() + " has more than"
          + " 9 decimals; round it to a nano-dollar");
    }
    BigDecimal nano = usd.movePointRight(9);
    if (nano.compareTo(BigDecimal.valueOf(MAX_NANO_USD)) > 0) {
      throw new IllegalArgumentException("the amount " + usd.toPlainString() + " is over the"
          + " largest budget, " + format(MAX_NANO_USD) + " per period");
    }
    return nano.longValueExact();
  }

  /** For people: {@code 25.00 USD}, {@code 0.000123 USD}: at least two decimals, exact. */
  public static String format(long nanoUsd) {
    return amount(nanoUsd).toPlainString() + " USD";
  }

  /** The amount in USD, exact, with at least two decimals ({@code 25.00}, {@code 0.000123}). */
  public static BigDecimal amount(long nanoUsd) {
    BigDecimal usd = BigDecimal.valueOf(nanoUsd, 9).stripTrailingZeros();
    return usd.scale() < 2 ? usd.setScale(2, RoundingMode.UNNECESSARY) : usd;
  }
}
