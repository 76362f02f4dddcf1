package dev.keyward.vault;

/**
 * A key-value backend could not do what was asked. Messages name the operation and, for Vault, the
 * HTTP status; they never contain stored data, tokens or response bodies.
 */
public class KvException extends Exception {

  public KvException(String message) {
    super(message);
  }

  public KvException(String message, Throwable cause) {
    super(message, cause);
  }
}
