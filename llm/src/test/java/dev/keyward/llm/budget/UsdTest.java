package dev.keyward.llm.budget;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class UsdTest {

  @Test
  void amountsAreExactNanoDollars() {
    assertEquals(8_000_000_000L, Usd.parse("8"));
    assertEquals(25_000_000_000L, Usd.parse("25.00"));
    assertEquals(1L, Usd.parse("0.000000001"));
    assertEquals(0L, Usd.parse("0"));
  }

  @Test
  void aNegativeAmountIsRefused() {
    assertTrue(assertThrows(IllegalArgumentException.class, () -> Usd.parse("-1"))
        .getMessage().contains("negative"));
  }

  @Test
  void moreThanNineDecimalsIsRefused() {
    assertTrue(assertThrows(IllegalArgumentException.class, () -> Usd.parse("0.0000000001"))
        .getMessage().contains("9 decimals"));
  }

  @Test
  void anAmountBeyondWhatRedisScriptsCountExactlyIsRefused() {
    assertTrue(assertThrows(IllegalArgumentException.class, () -> Usd.parse("9000000.01"))
        .getMessage().contains("largest budget"));
    assertTrue(Usd.MAX_NANO_USD < (1L << 53));
  }

  @Test
  void textIsRefusedWithAnExample() {
    assertTrue(assertThrows(IllegalArgumentException.class, () -> Usd.parse("ten"))
        .getMessage().contains("write e.g. 25.00"));
  }

  @Test
  void formatsWithAtLeastTwoDecimals() {
    assertEquals("8.00 USD", Usd.format(8_000_000_000L));
    assertEquals("0.000123 USD", Usd.format(123_000L));
    assertEquals("0.00 USD", Usd.format(0));
  }

  @Test
  void anAmountIsTheExactDecimalWithAtLeastTwoDecimals() {
    assertEquals("8.00", Usd.amount(8_000_000_000L).toString());
    assertEquals("0.00004225", Usd.amount(42_250L).toString());
    assertEquals("0.000000001", Usd.amount(1L).toPlainString());
  }
}
