package dev.keyward.policies;

/**
 * One thing wrong with a policy document, where it is, and what to do about it.
 *
 * @param source the file name (or other label) of the document
 * @param line 1-based line, 0 when unknown
 * @param column 1-based column, 0 when unknown
 */
public record PolicyProblem(String source, int line, int column, String message) {

  /** {@code file:line:column: message}, the form editors and CI logs link to. */
  @Override
  public String toString() {
    return source + ":" + line + ":" + column + ": " + message;
  }
}
