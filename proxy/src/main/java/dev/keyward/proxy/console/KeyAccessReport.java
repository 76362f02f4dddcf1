package dev.keyward.proxy.console;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Per credential: which agents used which key version, how often and when last, and the attempts
 * that were denied. Built in one pass over request records, oldest first; records without a
 * credential (refused before one was chosen) are counted apart.
 */
public final class KeyAccessReport {

  /** One key version as one agent used it. */
  public record VersionUse(int version, long calls, Instant lastUsed) {}

  /** One agent's use of one credential. */
  public record AgentAccess(String tenant, String agent, List<VersionUse> versions,
      long denied, Instant lastDenied, long failed) {

    public long calls() {
      return versions.stream().mapToLong(VersionUse::calls).sum();
    }
  }

  /** One credential's line. */
  public record CredentialAccess(String credential, long allowed, long denied, long failed,
      Instant lastUsed, List<AgentAccess> agents) {}

  private final Map<String, Credential> credentials = new TreeMap<>();
  private long withoutCredential;

  /** Offers one audit entry (admin records and other types are ignored). */
  public void accept(JsonObject entry) {
    if (!"request".equals(entry.getString("type"))) {
      return;
    }
    String credential = entry.getString("credential", "");
    if (credential == null || credential.isEmpty()) {
      withoutCredential++;
      return;
    }
    Instant time = Instant.parse(entry.getString("time"));
    credentials.computeIfAbsent(credential, c -> new Credential()).add(entry, time);
  }

  /** Requests refused before a credential was chosen (a bad token, no grant for any). */
  public long withoutCredential() {
    return withoutCredential;
  }

  public List<CredentialAccess> credentials() {
    List<CredentialAccess> out = new ArrayList<>();
    credentials.forEach((id, c) -> out.add(c.toAccess(id)));
    return out;
  }

  private static final class Credential {
    final Map<String, Agent> agents = new TreeMap<>();
    long allowed;
    long denied;
    long failed;
    Instant lastUsed;

    void add(JsonObject entry, Instant time) {
      String decision = entry.getString("decision", "");
      Agent agent = agents.computeIfAbsent(entry.getString("tenant", "") + "/"
          + entry.getString("agent", ""), key -> new Agent(entry.getString("tenant", ""),
          entry.getString("agent", "")));
      switch (decision) {
        case "allowed", "would_deny" -> {
          allowed++;
          lastUsed = later(lastUsed, time);
          agent.used(entry.getInteger("credential_version", 0), time);
        }
        case "denied" -> {
          denied++;
          agent.denied++;
          agent.lastDenied = later(agent.lastDenied, time);
        }
        default -> {
          failed++;
          agent.failed++;
        }
      }
    }

    CredentialAccess toAccess(String id) {
      List<AgentAccess> list = new ArrayList<>();
      agents.values().forEach(a -> list.add(a.toAccess()));
      return new CredentialAccess(id, allowed, denied, failed, lastUsed, List.copyOf(list));
    }
  }

  private static final class Agent {
    final String tenant;
    final String id;
    final Map<Integer, long[]> versions = new TreeMap<>();
    final Map<Integer, Instant> lastUsed = new TreeMap<>();
    long denied;
    long failed;
    Instant lastDenied;

    Agent(String tenant, String id) {
      this.tenant = tenant;
      this.id = id;
    }

    void used(int version, Instant time) {
      versions.computeIfAbsent(version, v -> new long[1])[0]++;
      lastUsed.merge(version, time, KeyAccessReport::later);
    }

    AgentAccess toAccess() {
      List<VersionUse> uses = new ArrayList<>();
      versions.forEach((v, n) -> uses.add(new VersionUse(v, n[0], lastUsed.get(v))));
      return new AgentAccess(tenant, id, List.copyOf(uses), denied, lastDenied, failed);
    }
  }

  private static Instant later(Instant a, Instant b) {
    return a == null || b.isAfter(a) ? b : a;
  }
}
