package dev.keyward.proxy.admin;

import dev.keyward.proxy.audit.AttemptRecord;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.Optional;

/** Which audit entries to return; empty filters match everything. */
public record AuditQuery(Optional<String> agent, Optional<String> credential,
    Optional<String> decision, Instant since, int limit) {

  public static final int MAX_LIMIT = 10_000;

  /** An attempt record matches a decision by how it counts as a key access. */
  boolean matches(JsonObject entry) {
    return agent.map(a -> a.equals(entry.getString("agent"))).orElse(true)
        && credential.map(c -> c.equals(entry.getString("credential"))).orElse(true)
        && decision.map(d -> d.equals(AttemptRecord.TYPE.equals(entry.getString("type"))
            ? AttemptRecord.decision(entry) : entry.getString("decision"))).orElse(true);
  }
}
