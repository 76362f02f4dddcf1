package dev.keyward.policies;

import java.util.Optional;

/**
 * Every reason the policy denies a request; each has a stable code for errors, audit and metrics,
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
      "the stored credential may not be sent to this host");

  private final String code;
  private final boolean reportModeMayRelax;
  private final String agentMessage;

  DenyCode(String code, boolean reportModeMayRelax) {
    this(code, reportModeMayRelax, null);
  }

  DenyCode(String code, boolean reportModeMayRelax, String agentMessage) {
    this.code = code;
    this.reportModeMayRelax = reportModeMayRelax;
    this.agentMessage = agentMessage;
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
