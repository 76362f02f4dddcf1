package dev.keyward.policies;

/** A request target that cannot be normalised safely; refused, never guessed at. */
public final class BadTargetException extends Exception {

  private final String code;

  public BadTargetException(String code, String message) {
    super(message, null, false, false);
    this.code = code;
  }

  /** Stable error code, e.g. {@code bad_path} or {@code bad_target}. */
  public String code() {
    return code;
  }
}
