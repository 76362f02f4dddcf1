package dev.keyward.token;

/**
 * The current revocations, as the verifier sees them. Implementations read from storage every
 * replica shares (the credential store or Vault) and refresh in the background; lookups here are
 * in-memory and non-blocking.
 */
public interface Revocations {

  /** Nothing revoked: for tests and for installs that never revoke. */
  Revocations NONE = new Revocations() {
    @Override
    public boolean isTokenRevoked(String jti) {
      return false;
    }

    @Override
    public boolean isAgentDisabled(String agent) {
      return false;
    }
  };

  boolean isTokenRevoked(String jti);

  boolean isAgentDisabled(String agent);
}
