package dev.keyward.policies;

/** Every reason the policy denies a request; each has a stable code for errors, audit and metrics. */
public enum DenyCode {
  NO_GRANT("no_grant"),
  UNKNOWN_CREDENTIAL("unknown_credential"),
  SCHEME_NOT_ALLOWED("scheme_not_allowed"),
  DOMAIN_NOT_ALLOWED("domain_not_allowed"),
  PORT_NOT_ALLOWED("port_not_allowed"),
  METHOD_NOT_ALLOWED("method_not_allowed"),
  PATH_NOT_ALLOWED("path_not_allowed"),
  ADDRESS_NOT_ALLOWED("address_not_allowed"),
  MODEL_NOT_ALLOWED("model_not_allowed");

  private final String code;

  DenyCode(String code) {
    this.code = code;
  }

  public String code() {
    return code;
  }
}
