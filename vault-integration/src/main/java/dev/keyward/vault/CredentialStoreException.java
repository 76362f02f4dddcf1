package dev.keyward.vault;

/**
 * A credential-store operation failed. The reason maps to one HTTP status and error code; the
 * message names the credential and the problem, never the secret or a token.
 */
public final class CredentialStoreException extends Exception {

  /** Why the operation failed. */
  public enum Reason {
    NOT_FOUND,
    ALREADY_EXISTS,
    CONFLICT,
    INVALID,
    UNAVAILABLE,
    CORRUPT
  }

  private final Reason reason;

  public CredentialStoreException(Reason reason, String message) {
    super(message);
    this.reason = reason;
  }

  public CredentialStoreException(Reason reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
