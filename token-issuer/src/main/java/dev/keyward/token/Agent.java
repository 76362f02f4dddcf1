package dev.keyward.token;

import java.time.Instant;
import java.util.Set;

/** A registered agent: who it is and which tenant it acts for. Holds no secret. */
public record Agent(String id, String tenant, Set<String> groups, String createdBy, Instant createdAt) {

  public Agent {
    groups = Set.copyOf(groups);
  }
}
