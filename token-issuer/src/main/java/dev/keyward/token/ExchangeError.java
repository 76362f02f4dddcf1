package dev.keyward.token;

/** Why a token exchange ({@code POST /v1/tokens}) was refused; each has one status and code. */
public enum ExchangeError {
  INVALID_REQUEST(400, "invalid_request",
      "send JSON {\"client_id\": \"…\", \"client_secret\": \"…\"} and optionally ttl_seconds, purpose"),
  TTL_TOO_LONG(400, "ttl_too_long", "the requested lifetime is longer than the maximum"),
  INVALID_CLIENT(401, "invalid_client", "unknown agent or wrong agent secret"),
  AGENT_DISABLED(401, "agent_disabled", "the agent has been disabled"),
  TOO_MANY_FAILURES(429, "too_many_failures",
      "too many failed exchanges for this agent or address; wait and retry"),
  NOT_ISSUING(404, "not_issuing", "this Keyward verifies tokens only; get tokens from the issuer"),
  STORE_UNAVAILABLE(503, "store_unavailable", "the agent registry cannot be read right now");

  private final int status;
  private final String code;
  private final String message;

  ExchangeError(int status, String code, String message) {
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
}
