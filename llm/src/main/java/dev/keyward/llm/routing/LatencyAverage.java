package dev.keyward.llm.routing;

import java.time.Duration;
import java.util.OptionalDouble;

/**
 * A target's recent time to first byte on this replica: a moving average whose past decays with
 * time. Each measurement moves the average at least {@link #MIN_STEP} of the way towards itself,
 * and further the older the average is: the old average's weight halves every half-life since it
 * was last updated. So a burst of fast calls does not hide a target that just turned slow, and a
 * measurement after a long quiet spell mostly replaces what was known. An average not updated for
 * {@link #COLD_AFTER_HALF_LIVES} half-lives is forgotten: the target is cold again.
 *
 * <p>Time is passed in (milliseconds of an injected clock). Thread-safe.
 */
public final class LatencyAverage {

  /** The least share of the way a measurement moves the average. */
  public static final double MIN_STEP = 0.3;
  /** An average this many half-lives old is forgotten. */
  public static final int COLD_AFTER_HALF_LIVES = 10;

  private double millis;
  private long updatedAt;
  private boolean measured;

  /** Adds one measurement of {@code sampleMillis}, taken at {@code now}. */
  public synchronized void record(double sampleMillis, long now, Duration halfLife) {
    double sample = Math.max(0, sampleMillis);
    if (!measured || isCold(now, halfLife)) {
      millis = sample;
    } else {
      double elapsed = Math.max(0, now - updatedAt);
      double keep = Math.min(1 - MIN_STEP, Math.pow(0.5, elapsed / halfLife.toMillis()));
      millis = keep * millis + (1 - keep) * sample;
    }
    updatedAt = now;
    measured = true;
  }

  /** The average in milliseconds; empty when never measured, or forgotten (cold). */
  public synchronized OptionalDouble millis(long now, Duration halfLife) {
    return measured && !isCold(now, halfLife) ? OptionalDouble.of(millis) : OptionalDouble.empty();
  }

  private boolean isCold(long now, Duration halfLife) {
    return now - updatedAt >= COLD_AFTER_HALF_LIVES * halfLife.toMillis();
  }
}
