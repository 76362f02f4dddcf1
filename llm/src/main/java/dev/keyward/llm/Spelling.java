package dev.keyward.llm;

import java.util.Collection;
import java.util.Locale;

/**
 * "Did you mean" for names in a policy, a price table or a configuration file: the one edit
 * distance every loader uses, so a misspelt name gets the same suggestion wherever it is written.
 */
public final class Spelling {

  /** A suggestion is at most this many edits (insert, delete, substitute) from what was written. */
  public static final int MAX_EDITS = 2;

  private Spelling() {}

  /**
   * The known name nearest to {@code name}, at most {@link #MAX_EDITS} edits away, or null. Of
   * names equally near, the first in alphabetical order, so the answer never depends on the order
   * of {@code known}.
   */
  public static String closest(String name, Collection<String> known) {
    return closest(name, known, false);
  }

  /**
   * As {@link #closest}, comparing without regard to case ({@code europe/paris} finds {@code
   * Europe/Paris}); the name is returned as {@code known} spells it.
   */
  public static String closestIgnoringCase(String name, Collection<String> known) {
    return closest(name, known, true);
  }

  /** Levenshtein distance of {@code a} and {@code b}, or {@code limit} once it reaches it. */
  public static int distance(String a, String b, int limit) {
    if (Math.abs(a.length() - b.length()) >= limit) {
      return limit;
    }
    int[] previous = new int[b.length() + 1];
    int[] current = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      previous[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      current[0] = i;
      int rowMin = current[0];
      for (int j = 1; j <= b.length(); j++) {
        int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
        rowMin = Math.min(rowMin, current[j]);
      }
      if (rowMin >= limit) {
        return limit;
      }
      int[] swap = previous;
      previous = current;
      current = swap;
    }
    return Math.min(previous[b.length()], limit);
  }

  private static String closest(String name, Collection<String> known, boolean ignoreCase) {
    if (name == null) {
      return null;
    }
    String written = ignoreCase ? name.toLowerCase(Locale.ROOT) : name;
    String best = null;
    int bestDistance = MAX_EDITS + 1;
    for (String candidate : known) {
      String compared = ignoreCase ? candidate.toLowerCase(Locale.ROOT) : candidate;
      int d = distance(written, compared, bestDistance + 1);
      if (d < bestDistance || d == bestDistance && best != null && candidate.compareTo(best) < 0) {
        best = candidate;
        bestDistance = d;
      }
    }
    return best;
  }
}
