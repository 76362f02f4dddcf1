package dev.keyward.proxy.admin;

import dev.keyward.vault.CredentialStoreException;
import dev.keyward.vault.KvException;

/**
 * An operator operation that could not be done. The HTTP status and code travel with it (through
 * the admin API too); the message never contains a secret or a token.
 */
public final class OperationException extends Exception {

  private final int status;
  private final String code;

  public OperationException(OperationError error, String message) {
    this(error.status(), error.code(), message);
  }

  /** As received from the admin API, which may know codes this client does not. */
  public OperationException(int status, String code, String message) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
  }

  public int status() {
    return status;
  }

  public String code() {
    return code;
  }

  static OperationException invalid(String message) {
    return new OperationException(OperationError.INVALID_REQUEST, message);
  }

  static OperationException of(CredentialStoreException e) {
    return switch (e.reason()) {
      case NOT_FOUND -> new OperationException(OperationError.NOT_FOUND, e.getMessage());
      case ALREADY_EXISTS, CONFLICT -> new OperationException(OperationError.CONFLICT,
          e.getMessage());
      case INVALID -> invalid(e.getMessage());
      case UNAVAILABLE -> new OperationException(OperationError.STORE_UNAVAILABLE, e.getMessage());
      case CORRUPT -> new OperationException(OperationError.STORE_CORRUPT, e.getMessage());
    };
  }

  static OperationException of(KvException e) {
    return new OperationException(OperationError.STORE_UNAVAILABLE, e.getMessage());
  }
}
