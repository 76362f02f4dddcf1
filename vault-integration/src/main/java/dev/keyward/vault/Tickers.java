package dev.keyward.vault;

import com.github.benmanes.caffeine.cache.Ticker;
import java.time.Clock;
import java.time.Instant;

/** The time source of the caches: Keyward's {@link Clock}, so that tests can move it by hand. */
public final class Tickers {

  private Tickers() {}

  /**
   * The system's monotonic ticker when {@code clock} is the system clock (a wall-clock step must
   * not keep a stale entry alive or expire a fresh one), else a ticker that reads {@code clock}.
   */
  public static Ticker of(Clock clock) {
    if (clock.equals(Clock.systemUTC()) || clock.equals(Clock.systemDefaultZone())) {
      return Ticker.systemTicker();
    }
    return () -> {
      Instant now = clock.instant();
      return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    };
  }
}
