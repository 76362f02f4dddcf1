package dev.keyward.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.math.BigDecimal;
import org.junit.jupiter.api.Test;

class CostTest {

  @Test
  void formatsUsdWithAtLeastSixDecimals() {
    assertEquals("0.001234", Cost.ofNanoUsd(1_234_000).format());
    assertEquals("0.000000", Cost.ZERO.format());
    assertEquals("0.000000001", Cost.ofNanoUsd(1).format());
    assertEquals("12.500000", Cost.ofNanoUsd(12_500_000_000L).format());
  }

  @Test
  void usdIsExact() {
    assertEquals(new BigDecimal("0.001234567"), Cost.ofNanoUsd(1_234_567).usd());
  }

  @Test
  void sumWithAnUnpricedPartIsUnpriced() {
    assertEquals(Cost.UNPRICED, Cost.ofNanoUsd(5).plus(Cost.UNPRICED));
    assertEquals(Cost.ofNanoUsd(7), Cost.ofNanoUsd(5).plus(Cost.ofNanoUsd(2)));
  }

  @Test
  void negativeOrUnpricedAmountIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> Cost.ofNanoUsd(-1));
    assertThrows(IllegalArgumentException.class, () -> new Cost(false, 3));
  }
}
