package dev.keyward.policies;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Byte sizes as people write them in configuration: {@code 512}, {@code 32KiB}, {@code 10MiB}, {@code 1GiB}. */
public final class Sizes {

  private static final Pattern FORM = Pattern.compile("(\\d{1,12})\\s*(B|KiB|MiB|GiB)?");

  private Sizes() {}

  public static long parse(String text) {
    Matcher m = FORM.matcher(text == null ? "" : text.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException("'" + text + "' is not a size; write e.g. 512, 64KiB,"
          + " 10MiB or 1GiB");
    }
    long n = Long.parseLong(m.group(1));
    String unit = m.group(2) == null ? "B" : m.group(2);
    return switch (unit) {
      case "KiB" -> n * 1024;
      case "MiB" -> n * 1024 * 1024;
      case "GiB" -> n * 1024 * 1024 * 1024;
      default -> n;
    };
  }
}
