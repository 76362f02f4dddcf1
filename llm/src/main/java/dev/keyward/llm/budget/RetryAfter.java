package dev.keyward.llm.budget;

import java.time.Duration;
import java.time.Instant;

/** The {@code Retry-After} header's value: whole seconds until a limit resets. */
public final class RetryAfter {

  private RetryAfter() {}

  /**
   * Seconds from {@code now} until {@code resetsAt}, rounded up, at least 1: a client that waits
   * that long finds the new window open, and never retries in a busy loop.
   */
  public static long seconds(Instant now, Instant resetsAt) {
    Duration wait = Duration.between(now, resetsAt);
    if (wait.isNegative() || wait.isZero()) {
      return 1;
    }
    long seconds = wait.getSeconds() + (wait.getNano() > 0 ? 1 : 0);
    return Math.max(1, seconds);
  }
}
