package dev.keyward.token;

import dev.keyward.policies.Names;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * What to put in a new platform token.
 *
 * @param ttl lifetime; at most {@link TokenIssuer#MAX_TTL}
 */
public record TokenRequest(String agent, String tenant, Set<String> groups, Optional<Purpose> purpose,
    Duration ttl) {

  public TokenRequest {
    Names.require(agent, "agent");
    Names.require(tenant, "tenant");
    groups = Set.copyOf(groups);
    groups.forEach(g -> Names.require(g, "group"));
    Objects.requireNonNull(purpose, "purpose");
    Objects.requireNonNull(ttl, "ttl");
  }

  /** A token for {@code agent} of {@code tenant} with the default lifetime and no purpose. */
  public static TokenRequest of(String agent, String tenant) {
    return new TokenRequest(agent, tenant, Set.of(), Optional.empty(), TokenIssuer.DEFAULT_TTL);
  }
}
