package dev.keyward.llm;

import java.util.List;

/** A price table that failed validation; carries every problem found, each naming the fix. */
public final class InvalidPriceTableException extends Exception {

  private final List<String> problems;

  public InvalidPriceTableException(List<String> problems) {
    super(summary(problems), null, false, false);
    this.problems = List.copyOf(problems);
  }

  public List<String> problems() {
    return problems;
  }

  private static String summary(List<String> problems) {
    String first = problems.isEmpty() ? "invalid price table" : problems.get(0);
    return problems.size() <= 1 ? first : first + " (and " + (problems.size() - 1) + " more)";
  }
}
