package dev.keyward.policies;

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
  MODEL_NOT_ALLOWED("model_not_allowed", false);

  private final String code;
  private final boolean reportModeMayRelax;

  DenyCode(String code, boolean reportModeMayRelax) {
    this.code = code;
    this.reportModeMayRelax = reportModeMayRelax;
  }

  public String code() {
    return code;
  }

  /** True when a rule in report mode turns this denial into {@code would_deny}. */
  public boolean reportModeMayRelax() {
    return reportModeMayRelax;
  }
}
