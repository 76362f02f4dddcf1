package dev.keyward.llm.budget;

import java.util.Locale;

/** How often a money budget starts over. */
public enum Period {
  DAILY("daily"),
  WEEKLY("weekly"),
  MONTHLY("monthly");

  private final String wireName;

  Period(String wireName) {
    this.wireName = wireName;
  }

  /** As written in a policy: {@code daily}, {@code weekly}, {@code monthly}. */
  public String wireName() {
    return wireName;
  }

  /**
   * Reads a policy's {@code period}.
   *
   * @throws IllegalArgumentException naming the accepted values
   */
  public static Period parse(String text) {
    for (Period period : values()) {
      if (period.wireName.equals(text)) {
        return period;
      }
    }
    String lower = text == null ? "" : text.toLowerCase(Locale.ROOT);
    for (Period period : values()) {
      if (period.wireName.equals(lower)) {
        throw new IllegalArgumentException("write period '" + text + "' as '" + lower + "'");
      }
    }
    throw new IllegalArgumentException("unknown period '" + text + "'; use daily, weekly or monthly");
  }
}
