package dev.keyward.proxy.admin;

import java.util.Optional;

/**
 * Why an operator operation failed: one HTTP status and stable code each, the same whether the
 * CLI ran it on the store or through the admin API. {@code docs/errors.md} lists them.
 */
public enum OperationError {
  INVALID_REQUEST(400, "invalid_request"),
  ROLE_NOT_ALLOWED(403, "role_not_allowed"),
  NOT_FOUND(404, "not_found"),
  CONFLICT(409, "conflict"),
  NOT_RUNNING(409, "not_running"),
  VERIFY_ONLY(409, "verify_only"),
  NO_SIGNING_KEYS(409, "no_signing_keys"),
  NO_AUDIT_FILE(409, "no_audit_file"),
  STORE_CORRUPT(500, "store_corrupt"),
  SIGNING_FAILED(500, "signing_failed"),
  STORE_UNAVAILABLE(503, "store_unavailable"),
  AUDIT_UNREADABLE(503, "audit_unreadable"),
  BUDGET_UNAVAILABLE(503, "budget_unavailable"),
  /** The admin API could not be reached or answered with something else than its JSON. */
  ADMIN_UNREACHABLE(503, "admin_unreachable");

  private final int status;
  private final String code;

  OperationError(int status, String code) {
    this.status = status;
    this.code = code;
  }

  public int status() {
    return status;
  }

  public String code() {
    return code;
  }

  public static Optional<OperationError> fromCode(String code) {
    for (OperationError error : values()) {
      if (error.code.equals(code)) {
        return Optional.of(error);
      }
    }
    return Optional.empty();
  }
}
