package dev.keyward.policies;

import java.util.Collection;

/** "Did you mean" for names in a policy or a configuration file. */
public final class Spelling {

  private Spelling() {}

  /** The known name nearest to {@code name} within edit distance 2, or null. */
  public static String closest(String name, Collection<String> known) {
    String best = null;
    int bestDistance = 3;
    for (String candidate : known.stream().sorted().toList()) {
      int d = distance(name, candidate);
      if (d < bestDistance) {
        best = candidate;
        bestDistance = d;
      }
    }
    return best;
  }

  private static int distance(String a, String b) {
    int[] previous = new int[b.length() + 1];
    int[] current = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      previous[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      current[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
      }
      int[] swap = previous;
      previous = current;
      current = swap;
    }
    return previous[b.length()];
  }
}
