package dev.keyward.token;

import java.util.Locale;
import java.util.Optional;

/** What an operator token allows on the admin API. */
public enum Role {
  /** Everything: credentials, agents, tokens, policy, audit. */
  OPERATOR,
  /** Read only: listings, histories, the audit trail, policy checks. */
  AUDITOR;

  public String claim() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Optional<Role> fromClaim(String value) {
    for (Role role : values()) {
      if (role.claim().equals(value)) {
        return Optional.of(role);
      }
    }
    return Optional.empty();
  }
}
