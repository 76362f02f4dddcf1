package dev.keyward.proxy.cli;

import dev.keyward.vault.CredentialStoreException;

/** What the {@code keyward} command's exit status means, so operators can script it. */
public final class ExitCodes {

  public static final int OK = 0;
  /** Something failed that is not one of the cases below. */
  public static final int FAILED = 1;
  /** Bad command line (unknown option, missing argument). */
  public static final int USAGE = 2;
  /** Invalid input: a policy, configuration, name or secret that does not pass validation. */
  public static final int INVALID = 3;
  public static final int NOT_FOUND = 4;
  /** Already exists, or lost a race with another writer. */
  public static final int CONFLICT = 5;
  /** A store or Vault could not be reached. */
  public static final int UNAVAILABLE = 6;
  /** The operator token was refused, or its role does not allow the operation. */
  public static final int DENIED = 7;
  /** {@code keyward audit verify} found the audit log altered. */
  public static final int TAMPERED = 8;

  private ExitCodes() {}

  /** The exit code for an admin API (or store) failure with this HTTP status. */
  static int of(int status) {
    return switch (status) {
      case 400, 413 -> INVALID;
      case 401, 403 -> DENIED;
      case 404 -> NOT_FOUND;
      case 409 -> CONFLICT;
      case 502, 503, 504 -> UNAVAILABLE;
      default -> FAILED;
    };
  }

  static int of(CredentialStoreException.Reason reason) {
    return switch (reason) {
      case NOT_FOUND -> NOT_FOUND;
      case ALREADY_EXISTS, CONFLICT -> CONFLICT;
      case INVALID -> INVALID;
      case UNAVAILABLE -> UNAVAILABLE;
      case CORRUPT -> FAILED;
    };
  }
}
