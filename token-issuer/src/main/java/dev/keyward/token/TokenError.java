package dev.keyward.token;

/** Every reason a platform token is refused; each is a 401 with this stable code. */
public enum TokenError {
  MISSING_TOKEN("missing_token", "the request has no Authorization header"),
  INVALID_AUTH_SCHEME("invalid_auth_scheme", "the Authorization header must use the Bearer scheme"),
  EMPTY_TOKEN("empty_token", "the bearer token is empty"),
  TOKEN_TOO_LARGE("token_too_large", "the token is larger than the 8 KiB limit"),
  MALFORMED_TOKEN("malformed_token", "the token is not a compact JWT"),
  BAD_TOKEN_ENCODING("bad_token_encoding", "the token's header or payload is not base64url JSON"),
  UNSIGNED_TOKEN("unsigned_token", "unsigned tokens (alg none) are not accepted"),
  UNSUPPORTED_ALGORITHM("unsupported_algorithm", "only ES256 tokens are accepted"),
  WRONG_TOKEN_TYPE("wrong_token_type", "the token is not a Keyward platform token (typ)"),
  UNKNOWN_KEY("unknown_key", "the token was signed with an unknown key (kid)"),
  KEY_RETIRED("key_retired", "the token was signed with a key that has been retired"),
  INVALID_SIGNATURE("invalid_signature", "the token's signature is not valid"),
  WRONG_ISSUER("wrong_issuer", "the token was not issued by this Keyward"),
  WRONG_AUDIENCE("wrong_audience", "the token is not meant for this Keyward (aud)"),
  INVALID_CLAIMS("invalid_claims", "the token lacks a required claim or has an invalid one"),
  TOKEN_EXPIRED("token_expired", "the token has expired"),
  TOKEN_NOT_YET_VALID("token_not_yet_valid", "the token is not valid yet (nbf)"),
  TOKEN_REVOKED("token_revoked", "the token has been revoked"),
  AGENT_DISABLED("agent_disabled", "the agent has been disabled");

  private final String code;
  private final String message;

  TokenError(String code, String message) {
    this.code = code;
    this.message = message;
  }

  /** Stable machine-readable code, e.g. {@code token_expired}. */
  public String code() {
    return code;
  }

  /** Fixed human message; never includes any part of the token. */
  public String message() {
    return message;
  }
}
