package dev.keyward.proxy.admin;

import dev.keyward.proxy.audit.AttemptRecord;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * {@code keyward audit report}: per credential, the key accesses, their decisions, the agents and
 * the key versions sent. A key access is a request record, or on a route with targets each
 * attempt record (the call's own request record, which names the answering attempt's credential,
 * is not counted again): so a key version that only a failed fallback attempt sent is listed,
 * and a rotation is not finished while it is.
 */
final class AuditReport {

  private final Map<String, CredentialUse> uses = new TreeMap<>();

  /** Offers one audit entry (admin records and other types are ignored). */
  void accept(JsonObject entry) {
    if (!AttemptRecord.isKeyAccess(entry)) {
      return;
    }
    boolean attempt = AttemptRecord.TYPE.equals(entry.getString("type"));
    String credential = entry.getString("credential");
    uses.computeIfAbsent(credential == null ? "" : credential, c -> new CredentialUse())
        .add(entry, attempt ? AttemptRecord.decision(entry) : entry.getString("decision", ""));
  }

  JsonArray toJson() {
    JsonArray report = new JsonArray();
    uses.forEach((credential, use) -> report.add(use.toJson(credential)));
    return report;
  }

  /** One credential's line. */
  private static final class CredentialUse {
    final Map<String, Long> requestsByAgent = new TreeMap<>();
    final Map<String, Long> decisions = new TreeMap<>();
    final Set<Integer> versions = new TreeSet<>();
    long requests;

    void add(JsonObject entry, String decision) {
      requests++;
      requestsByAgent.merge(entry.getString("agent", ""), 1L, Long::sum);
      decisions.merge(decision, 1L, Long::sum);
      int version = entry.getInteger("credential_version", 0);
      if (version > 0) {
        versions.add(version);
      }
    }

    JsonObject toJson(String credential) {
      JsonArray agents = new JsonArray();
      requestsByAgent.forEach((agent, n) -> agents.add(
          new JsonObject().put("agent", agent).put("requests", n)));
      return new JsonObject()
          .put("credential", credential.isEmpty() ? null : credential)
          .put("requests", requests)
          .put("allowed", decisions.getOrDefault("allowed", 0L))
          .put("denied", decisions.getOrDefault("denied", 0L))
          .put("would_deny", decisions.getOrDefault("would_deny", 0L))
          .put("failed", decisions.getOrDefault("failed", 0L))
          .put("agents", agents)
          .put("versions", new JsonArray(new ArrayList<>(versions)));
    }
  }
}
