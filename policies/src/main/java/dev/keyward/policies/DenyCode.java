package dev.keyward.policies;

import java.util.Optional;

/**
 * Every reason the policy denies a request; each has a stable code for errors, audit and metrics,
 * the HTTP status the agent gets ({@code 403} but for the budgets' {@code 429} and {@code 503}),
 * and says whether a rule in report mode may let the request through anyway. Only the rules that
 * apply once a grant has matched the agent may be relaxed: the credential's scheme, domain and
 * port, and the grant's method and path. The rest (no grant at all, an unknown or disabled
 * credential, the stored key's own domains, the SSRF guard) always deny.
 */
public enum DenyCode {
  NO_GRANT("no_grant", false),
  UNKNOWN_CREDENTIAL("unknown_credential", false),
  SCHEME_NOT_ALLOWED("scheme_not_allowed", true),
  DOMAIN_NOT_ALLOWED("domain_not_allowed", true),
  PORT_NOT_ALLOWED("port_not_allowed", true),
  METHOD_NOT_ALLOWED("method_not_allowed", true),
  PATH_NOT_ALLOWED("path_not_allowed", true),
  ADDRESS_NOT_ALLOWED("address_not_allowed", false),
  MODEL_NOT_ALLOWED("model_not_allowed", false),
  /** The stored key is disabled. */
  CREDENTIAL_DISABLED("credential_disabled", false),
  /**
   * The stored key's own allowed domains (set by whoever stored it) exclude the host. The agent
   * gets a generic message: the key's domains are the customer's business, kept in the audit.
   */
  CREDENTIAL_DOMAIN_MISMATCH("credential_domain_mismatch", false,
      "the stored credential may not be sent to this host"),
  /**
   * The forward proxy: no granted credential applies to the host, and no egress rule allows it
   * (or a deny rule names it). Egress is deny by default.
   */
  EGRESS_DENIED("egress_denied", false),
  /**
   * The forward proxy: a request carries a credential's placeholder to a host outside that
   * credential's domains (or a placeholder of no credential granted to the agent).
   */
  PLACEHOLDER_WRONG_HOST("placeholder_wrong_host", false),
  /** A budget's money limit would be passed, or a money budget meets a model with no price. */
  BUDGET_EXCEEDED("budget_exceeded", 429),
  /** A budget's requests or tokens per minute would be passed. */
  RATE_LIMITED("rate_limited", 429),
  /** A budget's counters cannot be reached and it says {@code on_store_failure: deny}. */
  BUDGET_UNAVAILABLE("budget_unavailable", 503);

  private final String code;
  private final int status;
  private final boolean reportModeMayRelax;
  private final String agentMessage;

  DenyCode(String code, boolean reportModeMayRelax) {
    this(code, 403, reportModeMayRelax, null);
  }

  DenyCode(String code, boolean reportModeMayRelax, String agentMessage) {
    this(code, 403, reportModeMayRelax, agentMessage);
  }

  /** A budget's refusal: never relaxed by report mode (budgets have none). */
  DenyCode(String code, int status) {
    this(code, status, false, null);
  }

  DenyCode(String code, int status, boolean reportModeMayRelax, String agentMessage) {
    this.code = code;
    this.status = status;
    this.reportModeMayRelax = reportModeMayRelax;
    this.agentMessage = agentMessage;
  }

  /** The HTTP status of the refusal. */
  public int status() {
    return status;
  }

  /** True for the budgets' own refusals. */
  public boolean byBudget() {
    return this == BUDGET_EXCEEDED || this == RATE_LIMITED || this == BUDGET_UNAVAILABLE;
  }

  /** The code whose {@link #code()} is {@code code}, if any. */
  public static Optional<DenyCode> of(String code) {
    for (DenyCode value : values()) {
      if (value.code.equals(code)) {
        return Optional.of(value);
      }
    }
    return Optional.empty();
  }

  /**
   * What the agent is told instead of the decision's reason, for denials whose reason would tell
   * it more than it should know; empty when the reason itself is fine to show.
   */
  public Optional<String> agentMessage() {
    return Optional.ofNullable(agentMessage);
  }

  public String code() {
    return code;
  }

  /** True when a rule in report mode turns this denial into {@code would_deny}. */
  public boolean reportModeMayRelax() {
    return reportModeMayRelax;
  }
}
