package dev.keyward.llm;

import java.math.BigDecimal;

/**
 * One model's list prices, held as nano-dollars per million tokens (USD × 10⁹), so that prices
 * with up to nine decimals are exact integers.
 *
 * @param inputNanoUsdPerMillion uncached input
 * @param outputNanoUsdPerMillion output, reasoning included
 * @param cachedInputNanoUsdPerMillion input read from a prompt cache
 */
public record ModelPrice(long inputNanoUsdPerMillion, long outputNanoUsdPerMillion,
    long cachedInputNanoUsdPerMillion) {

  public ModelPrice {
    if (inputNanoUsdPerMillion < 0 || outputNanoUsdPerMillion < 0
        || cachedInputNanoUsdPerMillion < 0) {
      throw new IllegalArgumentException("prices cannot be negative");
    }
  }

  /** From USD per million tokens as written in configuration, e.g. {@code 1.25}. */
  public static ModelPrice usdPerMillion(BigDecimal input, BigDecimal output,
      BigDecimal cachedInput) {
    return new ModelPrice(nano(input), nano(output), nano(cachedInput));
  }

  static long nano(BigDecimal usd) {
    return usd.movePointRight(9).longValueExact();
  }
}
