package dev.keyward.llm.routing;

import java.time.Duration;
import java.util.Objects;

/**
 * When a target's circuit opens and for how long. It opens when, within the last {@code window},
 * the target failed {@code failures} times, or at least {@code minCalls} calls were judged and
 * {@code failureRatio} of them failed; it stays open {@code openFor}, then lets one probe through.
 *
 * @param failures failures in the window that open the circuit; 0: no count threshold
 * @param failureRatio share of failed calls (0 to 1) that opens it; 0: no ratio threshold
 * @param minCalls the fewest calls in the window for the ratio to count
 * @param window how far back failures and calls are counted (in ten steps of a tenth each)
 * @param openFor how long an open circuit skips the target before a probe
 */
public record BreakerSettings(int failures, double failureRatio, int minCalls, Duration window,
    Duration openFor) {

  public static final int MAX_FAILURES = 10_000;
  public static final Duration MIN_DURATION = Duration.ofSeconds(1);
  public static final Duration MAX_DURATION = Duration.ofHours(1);

  /** Five failures in a minute, or half of at least ten calls; open for 30 seconds. */
  public static final BreakerSettings DEFAULT =
      new BreakerSettings(5, 0.5, 10, Duration.ofSeconds(60), Duration.ofSeconds(30));

  public BreakerSettings {
    Objects.requireNonNull(window, "window");
    Objects.requireNonNull(openFor, "openFor");
    if (failures < 0 || failures > MAX_FAILURES) {
      throw new IllegalArgumentException("failures must be 0 to " + MAX_FAILURES);
    }
    if (!(failureRatio >= 0 && failureRatio <= 1)) {
      throw new IllegalArgumentException("failure_ratio must be 0 to 1");
    }
    if (failures == 0 && failureRatio == 0) {
      throw new IllegalArgumentException("set failures or failure_ratio (or both) above 0");
    }
    if (minCalls < 1 || minCalls > MAX_FAILURES) {
      throw new IllegalArgumentException("min_calls must be 1 to " + MAX_FAILURES);
    }
    for (Duration d : new Duration[] {window, openFor}) {
      if (d.compareTo(MIN_DURATION) < 0 || d.compareTo(MAX_DURATION) > 0) {
        throw new IllegalArgumentException("window and open_for must be 1s to 1h");
      }
    }
  }

  /** True when {@code failed} of {@code calls} in the window open the circuit. */
  boolean opens(long failed, long calls) {
    return (failures > 0 && failed >= failures)
        || (failureRatio > 0 && calls >= minCalls && failed >= failureRatio * calls);
  }
}
