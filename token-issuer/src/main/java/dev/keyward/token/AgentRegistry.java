package dev.keyward.token;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.keyward.policies.Names;
import dev.keyward.vault.CasMismatchException;
import dev.keyward.vault.KvException;
import dev.keyward.vault.KvStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Registered agents and their secrets, in the shared store. An agent secret is 256 random bits,
 * shown once; only a salted SHA-256 of it is stored. (A slow password hash would add nothing
 * against 256 bits of entropy and would turn the token exchange into a CPU-exhaustion target.)
 * Checking a secret does the same work whether the agent exists or not, and compares
 * fixed-length digests in constant time, so the time taken does not depend on how much of the
 * secret was right (bench: AgentSecretBench).
 */
public final class AgentRegistry {

  public static final String ROOT = "agents";
  public static final String SECRET_PREFIX = "kwa_";
  private static final String FORMAT = "keyward-agent/1";
  private static final byte[] DOMAIN = "keyward/agent-secret/v1".getBytes(StandardCharsets.UTF_8);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final TypeReference<List<String>> STRINGS = new TypeReference<>() {};

  private final KvStore kv;
  private final SecureRandom random = new SecureRandom();
  /** Checked when the agent does not exist, stored like a real record so that path does the same work. */
  private final Map<String, String> decoy;

  public AgentRegistry(KvStore kv) {
    this.kv = kv;
    byte[] salt = new byte[16];
    random.nextBytes(salt);
    decoy = Map.of("secret_salt", Base64.getEncoder().encodeToString(salt),
        "secret_sha256", Base64.getEncoder().encodeToString(hash(salt, SECRET_PREFIX + "decoy")));
  }

  /**
   * Registers an agent and returns its secret (shown once).
   *
   * @throws AgentExistsException when the id is taken
   */
  public AgentCredentials create(String id, String tenant, Set<String> groups, String actor,
      Instant now) throws KvException, AgentExistsException {
    Agent agent = new Agent(Names.require(id, "agent"), Names.require(tenant, "tenant"), groups,
        actor, now);
    groups.forEach(g -> Names.require(g, "group"));
    byte[] secretBytes = new byte[32];
    random.nextBytes(secretBytes);
    String secret = SECRET_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(secretBytes);
    byte[] salt = new byte[16];
    random.nextBytes(salt);
    Map<String, String> data = new HashMap<>();
    data.put("format", FORMAT);
    data.put("tenant", tenant);
    data.put("groups", json(groups.stream().sorted().toList()));
    data.put("created_by", actor);
    data.put("created_at", now.toString());
    data.put("secret_salt", Base64.getEncoder().encodeToString(salt));
    data.put("secret_sha256", Base64.getEncoder().encodeToString(hash(salt, secret)));
    try {
      kv.write(path(id), data, 0);
    } catch (CasMismatchException e) {
      throw new AgentExistsException(id);
    }
    return new AgentCredentials(agent, secret);
  }

  public Optional<Agent> find(String id) throws KvException {
    if (!Names.isValid(id)) {
      return Optional.empty();
    }
    Optional<KvStore.Document> document = kv.read(path(id), 0);
    return document.isEmpty() ? Optional.empty() : Optional.of(agent(id, document.get().data()));
  }

  public List<Agent> list() throws KvException {
    List<Agent> agents = new ArrayList<>();
    for (String name : kv.list(ROOT)) {
      if (!name.endsWith("/")) {
        find(name).ifPresent(agents::add);
      }
    }
    return agents;
  }

  /** The agent when {@code presentedSecret} is its secret; empty otherwise (unknown agent too). */
  public Optional<Agent> authenticate(String id, String presentedSecret) throws KvException {
    Optional<KvStore.Document> document =
        Names.isValid(id) ? kv.read(path(id), 0) : Optional.empty();
    Map<String, String> data = document.isPresent() ? document.get().data() : decoy;
    byte[] salt;
    byte[] expected;
    try {
      salt = Base64.getDecoder().decode(data.get("secret_salt"));
      expected = Base64.getDecoder().decode(data.get("secret_sha256"));
    } catch (RuntimeException e) {
      throw new KvException("the record of agent " + id + " is corrupt");
    }
    boolean matches = MessageDigest.isEqual(hash(salt, presentedSecret), expected);
    return matches && document.isPresent()
        ? Optional.of(agent(id, document.get().data())) : Optional.empty();
  }

  private static String path(String id) {
    return ROOT + "/" + id;
  }

  private static Agent agent(String id, Map<String, String> data) throws KvException {
    try {
      return new Agent(id, data.get("tenant"), Set.copyOf(JSON.readValue(data.get("groups"), STRINGS)),
          data.get("created_by"), Instant.parse(data.get("created_at")));
    } catch (IOException | RuntimeException e) {
      throw new KvException("the record of agent " + id + " is corrupt");
    }
  }

  static byte[] hash(byte[] salt, String secret) {
    try {
      MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
      sha256.update(DOMAIN);
      sha256.update(salt);
      sha256.update(secret.getBytes(StandardCharsets.UTF_8));
      return sha256.digest();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every Java platform", e);
    }
  }

  private static String json(Object value) {
    try {
      return JSON.writeValueAsString(value);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
