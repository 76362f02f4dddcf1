package dev.keyward.proxy.console;

import dev.keyward.proxy.audit.AttemptRecord;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Per credential: which agents used which key version, how often and when last, and the attempts
 * that were denied. Built in one pass over the audit entries, oldest first, from the key accesses:
 * request records, and on routes with targets the attempt records (each attempt is a key access;
 * the call's own request record, which names the answering attempt's credential, is not counted
 * again). Records without a credential (refused before one was chosen) are counted apart.
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

  /** How one key access counts. */
  private enum Access {
    /** The key went upstream and its answer was served. */
    ALLOWED,
    /** Refused by the policy or a budget: no key was sent. */
    DENIED,
    /** Allowed, then something went wrong before a key was sent, or the record does not say. */
    FAILED,
    /** A fallback attempt whose key went upstream, which then failed. */
    SENT_AND_FAILED
  }

  /** Offers one audit entry (admin records and other types are ignored). */
  public void accept(JsonObject entry) {
    if (!AttemptRecord.isKeyAccess(entry)) {
      return;
    }
    boolean attempt = AttemptRecord.TYPE.equals(entry.getString("type"));
    String credential = entry.getString("credential", "");
    if (credential == null || credential.isEmpty()) {
      withoutCredential++;
      return;
    }
    Instant time = Instant.parse(entry.getString("time"));
    credentials.computeIfAbsent(credential, c -> new Credential())
        .add(entry, time, attempt ? attemptAccess(entry) : requestAccess(entry));
  }

  private static Access requestAccess(JsonObject request) {
    return switch (request.getString("decision", "")) {
      case "allowed", "would_deny" -> Access.ALLOWED;
      case "denied" -> Access.DENIED;
      default -> Access.FAILED;
    };
  }

  /** A failed attempt sent its key; a skipped one sent none, refused or not. */
  private static Access attemptAccess(JsonObject attempt) {
    return switch (AttemptRecord.decision(attempt)) {
      case "allowed" -> Access.ALLOWED;
      case "denied" -> Access.DENIED;
      default -> "failed".equals(attempt.getString("outcome")) ? Access.SENT_AND_FAILED
          : Access.FAILED;
    };
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

    void add(JsonObject entry, Instant time, Access access) {
      Agent agent = agents.computeIfAbsent(entry.getString("tenant", "") + "/"
          + entry.getString("agent", ""), key -> new Agent(entry.getString("tenant", ""),
          entry.getString("agent", "")));
      switch (access) {
        case ALLOWED -> allowed++;
        case DENIED -> {
          denied++;
          agent.denied++;
          agent.lastDenied = later(agent.lastDenied, time);
        }
        case FAILED, SENT_AND_FAILED -> {
          failed++;
          agent.failed++;
        }
      }
      if (access == Access.ALLOWED || access == Access.SENT_AND_FAILED) {
        lastUsed = later(lastUsed, time);
        agent.used(entry.getInteger("credential_version", 0), time);
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
