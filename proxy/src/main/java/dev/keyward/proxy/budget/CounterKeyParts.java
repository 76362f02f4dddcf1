package dev.keyward.proxy.budget;

/** Reads a counter key back into its subject and window. */
final class CounterKeyParts {

  private CounterKeyParts() {}

  /**
   * {@code <prefix><scope>:<id>:<window>} → {subject, window}. A subject is {@code scope:id} and
   * neither part holds a colon (both are names), while a minute window may ({@code
   * rpm-2026-12-01T10:15Z}); so the subject ends at the second colon. Null for another shape.
   */
  static String[] split(String key, String prefix) {
    if (!key.startsWith(prefix)) {
      return null;
    }
    int first = key.indexOf(':', prefix.length());
    int second = first < 0 ? -1 : key.indexOf(':', first + 1);
    if (second < 0) {
      return null;
    }
    return new String[] {key.substring(prefix.length(), second), key.substring(second + 1)};
  }
}
