package dev.keyward.llm.budget;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;

/**
 * One counting window: spend, requests or tokens count towards the window whose {@code [start,
 * end)} holds the moment of the request. The key names the window in storage ({@code
 * month-2026-12}, {@code day-2026-12-01}, {@code 2026-12-01T10:15Z}): a new window is a new
 * counter, never a counter that someone resets, so a reset cannot race a write.
 */
public record Window(String key, Instant start, Instant end) {

  public Window {
    Objects.requireNonNull(key, "key");
    if (!end.isAfter(start)) {
      throw new IllegalArgumentException("a window ends after it starts");
    }
  }

  /** The UTC minute holding {@code instant}: the window of requests and tokens per minute. */
  public static Window minuteAt(Instant instant) {
    Instant start = instant.truncatedTo(ChronoUnit.MINUTES);
    String key = start.toString();
    // Instant.toString of a whole minute is 2026-12-01T10:15:00Z; keep it short and fixed-width.
    key = key.endsWith(":00Z") ? key.substring(0, key.length() - 4) + "Z" : key;
    return new Window(key, start, start.plus(1, ChronoUnit.MINUTES));
  }

  public boolean contains(Instant instant) {
    return !instant.isBefore(start) && instant.isBefore(end);
  }
}
