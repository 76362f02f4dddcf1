package dev.keyward.proxy.config;

import java.time.Duration;

/**
 * Durations as people write them in config; the policy reads them the same way ({@link
 * dev.keyward.policies.Durations}).
 */
public final class Durations {

  private Durations() {}

  public static Duration parse(String text) {
    return dev.keyward.policies.Durations.parse(text);
  }

  /** The shortest exact form, e.g. {@code 15m}. */
  public static String format(Duration d) {
    return dev.keyward.policies.Durations.format(d);
  }
}
