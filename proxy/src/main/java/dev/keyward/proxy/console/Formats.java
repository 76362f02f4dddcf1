package dev.keyward.proxy.console;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/** How the console writes money, times and counts for people. */
public final class Formats {

  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneOffset.UTC);
  private static final long NANOS_PER_USD = 1_000_000_000L;

  private Formats() {}

  /** {@code $12.34}, {@code $0.0123}, {@code $0.001662}: more decimals for smaller sums. */
  public static String usd(long nanoUsd) {
    if (nanoUsd == 0) {
      return "$0";
    }
    BigDecimal usd = BigDecimal.valueOf(nanoUsd).movePointLeft(9);
    int scale = nanoUsd >= NANOS_PER_USD ? 2 : nanoUsd >= NANOS_PER_USD / 100 ? 4 : 6;
    BigDecimal rounded = usd.setScale(scale, RoundingMode.HALF_UP);
    if (rounded.signum() == 0) {
      return "<$0.000001";
    }
    return "$" + rounded.toPlainString();
  }

  /** USD as JSON holds it ({@code cost_usd}), in nano-USD. */
  public static long nanoUsd(double usd) {
    return Math.round(usd * NANOS_PER_USD);
  }

  /** {@code 2026-12-01 10:00:00} (UTC); a dash for none. */
  public static String time(Instant time) {
    return time == null ? "—" : TIME.format(time);
  }

  /** An audit record's {@code time} field, shortened as {@link #time(Instant)}. */
  public static String time(String iso) {
    try {
      return iso == null ? "—" : TIME.format(Instant.parse(iso));
    } catch (RuntimeException e) {
      return iso;
    }
  }

  /** {@code 1,234,567}. */
  public static String count(long n) {
    return String.format(java.util.Locale.ROOT, "%,d", n);
  }

  /** A latency in microseconds as {@code 843 ms} or {@code 12.3 s}. */
  public static String micros(long micros) {
    if (micros < 1000) {
      return micros + " µs";
    }
    if (micros < 10_000_000) {
      return (micros + 500) / 1000 + " ms";
    }
    return BigDecimal.valueOf(micros).movePointLeft(6).setScale(1, RoundingMode.HALF_UP)
        .toPlainString() + " s";
  }
}
