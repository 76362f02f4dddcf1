package dev.keyward.proxy.error;

/**
 * Errors the proxy itself raises (token errors come from {@code TokenError}, policy denials from
 * {@code DenyCode}). Each has one HTTP status and a stable code; {@code docs/errors.md} lists them.
 */
public enum ErrorCode {
  BAD_REQUEST(400, "bad_request", "the request is malformed"),
  BAD_PATH(400, "bad_path", "the request path cannot be normalised safely"),
  BAD_TARGET(400, "bad_target", "the target host or port is not valid"),
  AMBIGUOUS_CREDENTIAL(400, "ambiguous_credential",
      "more than one credential could serve this target; name one in the Keyward-Credential header"),
  NOT_PROXY_REQUEST(400, "not_proxy_request", "this is Keyward's forward-proxy port: send"
      + " CONNECT host:port, or a plain-HTTP request with an absolute http:// URL"),
  HOST_MISMATCH(403, "host_mismatch",
      "the TLS server name, the CONNECT authority and the Host header must name the same host"),
  TLS_HANDSHAKE_FAILED(400, "tls_handshake_failed", "the TLS handshake inside the tunnel did not"
      + " complete (does the client trust Keyward's forward-proxy CA?)"),
  TOO_MANY_TUNNELS(429, "too_many_tunnels", "this agent has as many forward-proxy tunnels open as"
      + " allowed; close one first"),
  PROXY_AUTH_REQUIRED(407, "proxy_auth_required", "the forward proxy needs a valid platform token"
      + " in Proxy-Authorization (Basic with the token as the password, or Bearer)"),
  NOT_FOUND(404, "not_found", "no such endpoint; proxy requests start with /r/<route>/ or /t/<host>/"),
  UNKNOWN_ROUTE(404, "unknown_route", "the policy has no such route"),
  METHOD_NOT_SUPPORTED(405, "method_not_supported", "this endpoint does not support the method"),
  CREDENTIAL_NOT_FOUND(404, "credential_not_found", "no credential is stored for this tenant"),
  PAYLOAD_TOO_LARGE(413, "payload_too_large", "the request body is larger than allowed"),
  URI_TOO_LONG(414, "uri_too_long", "the request line is longer than allowed"),
  HEADERS_TOO_LARGE(431, "headers_too_large", "the request headers are larger than allowed"),
  CREDENTIAL_UNAVAILABLE(503, "credential_unavailable",
      "the credential cannot be read right now; try again later"),
  FORWARD_PROXY_BUSY(503, "forward_proxy_busy",
      "Keyward has as many forward-proxy tunnels open as allowed; try again later"),
  TOKEN_VERIFICATION_BUSY(503, "token_verification_busy", "Keyward is checking as many new"
      + " platform tokens as it can at once; retry shortly (a token it has seen before is not"
      + " affected)"),
  SHUTTING_DOWN(503, "shutting_down", "Keyward is shutting down; retry on another instance"),
  AUDIT_UNAVAILABLE(503, "audit_unavailable",
      "the audit log cannot be written; requests are refused until it can"),
  UPSTREAM_DNS_ERROR(502, "upstream_dns_error", "the upstream host name could not be resolved"),
  UPSTREAM_UNREACHABLE(502, "upstream_unreachable", "the upstream could not be reached"),
  UPSTREAM_TLS_ERROR(502, "upstream_tls_error", "the upstream's TLS certificate was not accepted"),
  UPSTREAM_RESET(502, "upstream_reset", "the upstream closed the connection"),
  UPSTREAM_ENCODING_UNSUPPORTED(502, "upstream_encoding_unsupported",
      "the upstream's response used a content coding Keyward cannot decode and scan"),
  UPSTREAM_TIMEOUT(504, "upstream_timeout", "the upstream did not answer in time"),
  ALL_TARGETS_FAILED(502, "all_targets_failed",
      "every target of the route failed or was skipped; the attempts list says why"),
  INTERNAL_ERROR(500, "internal_error", "Keyward failed unexpectedly; the request id is in the logs");

  private final int status;
  private final String code;
  private final String message;

  ErrorCode(int status, String code, String message) {
    this.status = status;
    this.code = code;
    this.message = message;
  }

  public int status() {
    return status;
  }

  public String code() {
    return code;
  }

  public String message() {
    return message;
  }

  public ProxyException exception() {
    return new ProxyException(new ProxyError(status, code, message));
  }

  /** With a more specific message; it must never contain a secret or a token. */
  public ProxyException exception(String specificMessage) {
    return new ProxyException(new ProxyError(status, code, specificMessage));
  }
}
