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

  private ExitCodes() {}

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
