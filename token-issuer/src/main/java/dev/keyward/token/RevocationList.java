package dev.keyward.token;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * An immutable snapshot of what is revoked: token ids (each until the token would have expired
 * anyway) and disabled agents. Lookups are in-memory; the proxy swaps in a fresh snapshot from the
 * shared store on every refresh.
 */
public final class RevocationList implements Revocations {

  public static final RevocationList EMPTY = new RevocationList(Map.of(), Set.of());

  private static final String FORMAT = "keyward-revocations/1";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final TypeReference<Map<String, String>> TOKENS = new TypeReference<>() {};
  private static final TypeReference<Set<String>> AGENTS = new TypeReference<>() {};

  private final Map<String, Instant> revokedTokens;
  private final Set<String> disabledAgents;

  private RevocationList(Map<String, Instant> revokedTokens, Set<String> disabledAgents) {
    this.revokedTokens = Map.copyOf(revokedTokens);
    this.disabledAgents = Set.copyOf(disabledAgents);
  }

  @Override
  public boolean isTokenRevoked(String jti) {
    return revokedTokens.containsKey(jti);
  }

  @Override
  public boolean isAgentDisabled(String agent) {
    return disabledAgents.contains(agent);
  }

  public Set<String> disabledAgents() {
    return disabledAgents;
  }

  public int revokedTokenCount() {
    return revokedTokens.size();
  }

  /** With {@code jti} revoked until {@code until} (after which the token is expired anyway). */
  RevocationList withToken(String jti, Instant until) {
    Map<String, Instant> tokens = new HashMap<>(revokedTokens);
    tokens.merge(jti, until, (a, b) -> a.isAfter(b) ? a : b);
    return new RevocationList(tokens, disabledAgents);
  }

  RevocationList withAgent(String agent, boolean disabled) {
    Set<String> agents = new TreeSet<>(disabledAgents);
    if (disabled) {
      agents.add(agent);
    } else {
      agents.remove(agent);
    }
    return new RevocationList(revokedTokens, agents);
  }

  /** Without token revocations whose tokens have expired by {@code now}. */
  RevocationList pruned(Instant now) {
    Map<String, Instant> tokens = new HashMap<>(revokedTokens);
    tokens.values().removeIf(until -> !until.isAfter(now));
    return new RevocationList(tokens, disabledAgents);
  }

  Map<String, String> toData() {
    Map<String, String> tokens = new TreeMap<>();
    revokedTokens.forEach((jti, until) -> tokens.put(jti, until.toString()));
    try {
      return Map.of("format", FORMAT, "tokens", JSON.writeValueAsString(tokens),
          "agents", JSON.writeValueAsString(new TreeSet<>(disabledAgents)));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  static RevocationList fromData(Map<String, String> data) throws IOException {
    if (!FORMAT.equals(data.get("format"))) {
      throw new IOException("not a Keyward revocation list");
    }
    Map<String, Instant> tokens = new HashMap<>();
    JSON.readValue(data.get("tokens"), TOKENS).forEach((k, v) -> tokens.put(k, Instant.parse(v)));
    return new RevocationList(tokens, JSON.readValue(data.get("agents"), AGENTS));
  }
}
