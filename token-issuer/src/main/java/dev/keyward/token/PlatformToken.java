package dev.keyward.token;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The verified claims of a platform token: who the agent is and until when. Holds no token text and
 * no key material, so it can be cached, logged and audited freely.
 */
public record PlatformToken(
    String agent,
    String tenant,
    Set<String> groups,
    String jti,
    Instant issuedAt,
    Instant notBefore,
    Instant expiresAt,
    Optional<Purpose> purpose) {

  public PlatformToken {
    Objects.requireNonNull(agent, "agent");
    Objects.requireNonNull(tenant, "tenant");
    groups = Set.copyOf(groups);
    Objects.requireNonNull(jti, "jti");
    Objects.requireNonNull(issuedAt, "issuedAt");
    Objects.requireNonNull(notBefore, "notBefore");
    Objects.requireNonNull(expiresAt, "expiresAt");
    Objects.requireNonNull(purpose, "purpose");
  }
}
