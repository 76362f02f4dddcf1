package dev.keyward.proxy.budget;

import dev.keyward.llm.budget.Window;
import java.time.Duration;
import java.time.Instant;

/**
 * Names and lifetimes of counters, the same for every store: {@code
 * <budget>:<subject>:<window>} ({@code acme-monthly:tenant:acme:month-2026-12}), and for rates
 * {@code <budget>:<subject>:rpm-<minute>} and {@code …:tpm-<minute>}. Redis prefixes them with
 * {@code kw:budget:}. A new window is a new key, so no one ever resets a counter; old keys expire.
 *
 * <p>Redis remembers a settled reservation as {@code _settled:<reservation>} (and the embedded
 * store's snapshots of the first format did): budget names start with a letter or digit, so no
 * counter key (nor a budget's usage scan) can meet it.
 */
final class CounterKeys {

  /**
   * How long a money window's counter outlives the window: long enough for the settle of a call
   * that started just before the reset (within its hold lease) and for operators to read the
   * closed window for a day.
   */
  static final Duration CLOSED_WINDOW_RETENTION = Duration.ofDays(1);
  /** A minute's counters live one more minute, for settles of calls that started in it. */
  static final Duration CLOSED_MINUTE_RETENTION = Duration.ofMinutes(1);

  private static final String SETTLED_PREFIX = "_settled:";

  private CounterKeys() {}

  static String money(String budget, String subject, Window window) {
    return budget + ":" + subject + ":" + window.key();
  }

  static String requests(String budget, String subject, Window minute) {
    return budget + ":" + subject + ":rpm-" + minute.key();
  }

  static String tokens(String budget, String subject, Window minute) {
    return budget + ":" + subject + ":tpm-" + minute.key();
  }

  static String settled(String reservationId) {
    return SETTLED_PREFIX + reservationId;
  }

  static boolean isSettled(String key) {
    return key.startsWith(SETTLED_PREFIX);
  }

  /** When a money window's counter may go. */
  static Instant moneyExpiry(Window window, Duration holdLease) {
    return window.end().plus(CLOSED_WINDOW_RETENTION).plus(holdLease);
  }

  /** When a minute's counters may go. */
  static Instant minuteExpiry(Window minute) {
    return minute.end().plus(CLOSED_MINUTE_RETENTION);
  }
}
