package dev.keyward.policies;

import java.util.List;

/** A policy document that failed validation; carries every problem found, not just the first. */
public final class InvalidPolicyException extends Exception {

  private final List<PolicyProblem> problems;

  public InvalidPolicyException(List<PolicyProblem> problems) {
    super(summary(problems), null, false, false);
    this.problems = List.copyOf(problems);
  }

  public List<PolicyProblem> problems() {
    return problems;
  }

  private static String summary(List<PolicyProblem> problems) {
    String first = problems.isEmpty() ? "invalid policy" : problems.get(0).toString();
    return problems.size() <= 1 ? first : first + " (and " + (problems.size() - 1) + " more)";
  }
}
