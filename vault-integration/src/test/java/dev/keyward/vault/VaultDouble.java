package dev.keyward.vault;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * An in-process stand-in for Vault's HTTP API, implementing exactly what Keyward calls through the
 * Vault Java Driver, with bodies shaped as Vault documents them: KV v2 (data with versions and
 * check-and-set, metadata with custom metadata, destroy, list), Transit (encrypt, decrypt with
 * associated data, key rotation), AppRole and Kubernetes login, token lookup-self and renew-self.
 *
 * <p>Strict: every call but login needs a valid, unexpired {@code X-Vault-Token}; a configured
 * namespace must be sent; unknown routes are 404 and wrong methods 405, as in Vault. Faults can be
 * injected: down (connection refused), sealed (503), slow, failing with a status, expired tokens.
 */
public final class VaultDouble implements AutoCloseable {

  public static final String ROOT_TOKEN = "hvs.double-root-token";
  public static final int MAX_VERSIONS = 10;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private record Token(Instant expiresAt, boolean renewable, long ttlSeconds) {}

  private static final class KvVersion {
    final Instant created;
    ObjectNode data;
    boolean destroyed;

    KvVersion(Instant created, ObjectNode data) {
      this.created = created;
      this.data = data;
    }
  }

  private static final class KvEntry {
    final TreeMap<Integer, KvVersion> versions = new TreeMap<>();
    int currentVersion;
    ObjectNode custom;
    Instant created = Instant.now();
    Instant updated = Instant.now();
  }

  private final Map<String, Token> tokens = new ConcurrentHashMap<>();
  private final Set<String> kvMounts = ConcurrentHashMap.newKeySet();
  private final Set<String> transitMounts = ConcurrentHashMap.newKeySet();
  private final Map<String, KvEntry> kv = new TreeMap<>();
  private final Map<String, List<byte[]>> transitKeys = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
  private final SecureRandom random = new SecureRandom();
  private final ExecutorService executor = Executors.newFixedThreadPool(8);

  private volatile String namespace;
  private volatile String roleId;
  private volatile String secretId;
  private volatile String kubernetesRole;
  private volatile String kubernetesJwt;
  private volatile long loginTtlSeconds = 3600;
  private volatile boolean sealed;
  private volatile Duration latency = Duration.ZERO;
  private final AtomicInteger failures = new AtomicInteger();
  private volatile int failureStatus;
  private final int port;
  private HttpServer server;

  private VaultDouble() throws IOException {
    tokens.put(ROOT_TOKEN, new Token(Instant.MAX, false, 0));
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    port = server.getAddress().getPort();
    serve();
  }

  /** A running double with KV v2 at {@code secret/} and Transit at {@code transit/}. */
  public static VaultDouble start() throws IOException {
    VaultDouble vault = new VaultDouble();
    vault.kvMounts.add("secret");
    vault.transitMounts.add("transit");
    return vault;
  }

  private void serve() {
    server.createContext("/", this::handle);
    server.setExecutor(executor);
    server.start();
  }

  public String address() {
    return "http://127.0.0.1:" + port;
  }

  // ---- set-up ----

  public VaultDouble createTransitKey(String name) {
    transitKeys.computeIfAbsent(name, k -> new ArrayList<>()).add(newKey());
    return this;
  }

  public VaultDouble appRole(String role, String secret) {
    this.roleId = role;
    this.secretId = secret;
    return this;
  }

  public VaultDouble kubernetes(String role, String jwt) {
    this.kubernetesRole = role;
    this.kubernetesJwt = jwt;
    return this;
  }

  /** Tokens issued by logins from now on live this long. */
  public VaultDouble loginTtl(Duration ttl) {
    this.loginTtlSeconds = ttl.toSeconds();
    return this;
  }

  public VaultDouble requireNamespace(String ns) {
    this.namespace = ns;
    return this;
  }

  // ---- faults ----

  /** Stops listening: connections are refused, as when Vault is down. */
  public synchronized void down() {
    server.stop(0);
  }

  /** Listens again on the same port. */
  public synchronized void up() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
    serve();
  }

  public void sealed(boolean value) {
    this.sealed = value;
  }

  public void latency(Duration value) {
    this.latency = value;
  }

  /** The next {@code count} requests fail with {@code status}. */
  public void failNext(int count, int status) {
    failureStatus = status;
    failures.set(count);
  }

  /** Every token but the root token expires now: the next call with one gets 403. */
  public void expireLoginTokens() {
    tokens.replaceAll((k, t) -> k.equals(ROOT_TOKEN) ? t : new Token(Instant.EPOCH, t.renewable(), 0));
  }

  /** How many times an operation was called, e.g. {@code kv.read}, {@code login.approle}. */
  public int calls(String operation) {
    AtomicInteger n = calls.get(operation);
    return n == null ? 0 : n.get();
  }

  /** The raw stored KV data of a path (under its full KV path), for "never stored in clear" checks. */
  public synchronized String rawKv() {
    StringBuilder all = new StringBuilder();
    kv.forEach((path, entry) -> entry.versions.forEach((v, version) ->
        all.append(path).append('#').append(v).append(' ').append(version.data).append('\n')));
    return all.toString();
  }

  // ---- dispatch ----

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      if (!latency.isZero()) {
        Thread.sleep(latency.toMillis());
      }
      if (sealed) {
        respond(exchange, 503, errors("Vault is sealed"));
        return;
      }
      if (failures.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        respond(exchange, failureStatus, errors("injected failure"));
        return;
      }
      URI uri = exchange.getRequestURI();
      String path = uri.getPath();
      if (!path.startsWith("/v1/")) {
        respond(exchange, 404, errors("no handler for route"));
        return;
      }
      if (namespace != null && !namespace.equals(exchange.getRequestHeaders().getFirst("X-Vault-Namespace"))) {
        respond(exchange, 403, errors("permission denied"));
        return;
      }
      String rest = path.substring("/v1/".length());
      Map<String, String> query = query(uri.getRawQuery());
      String method = exchange.getRequestMethod();
      JsonNode body = readBody(exchange);
      if (rest.endsWith("/login") && rest.startsWith("auth/")) {
        login(exchange, rest, method, body);
        return;
      }
      String token = exchange.getRequestHeaders().getFirst("X-Vault-Token");
      if (!valid(token)) {
        respond(exchange, 403, errors("permission denied"));
        return;
      }
      route(exchange, rest, method, query, body, token);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      respond(exchange, 500, errors("internal error: " + e.getClass().getSimpleName()));
    }
  }

  private void route(HttpExchange exchange, String rest, String method, Map<String, String> query,
      JsonNode body, String token) throws IOException {
    if (rest.equals("auth/token/lookup-self")) {
      requireMethod(exchange, method, "GET", () -> lookupSelf(exchange, token));
      return;
    }
    if (rest.equals("auth/token/renew-self")) {
      requireMethod(exchange, method, "POST", () -> renewSelf(exchange, token));
      return;
    }
    String[] parts = rest.split("/", 3);
    if (parts.length < 2) {
      respond(exchange, 404, errors("no handler for route \"" + rest + "\""));
      return;
    }
    String mount = parts[0];
    String operation = parts[1];
    String path = parts.length > 2 ? parts[2] : "";
    if (kvMounts.contains(mount)) {
      kv(exchange, mount, operation, path, method, query, body);
    } else if (transitMounts.contains(mount)) {
      transit(exchange, operation, path, method, body);
    } else {
      respond(exchange, 404, errors("no handler for route \"" + rest + "\""));
    }
  }

  private interface Handler {
    void run() throws IOException;
  }

  private void requireMethod(HttpExchange exchange, String method, String allowed, Handler handler)
      throws IOException {
    if (!method.equals(allowed)) {
      respond(exchange, 405, errors("unsupported operation"));
      return;
    }
    handler.run();
  }

  // ---- auth ----

  private void login(HttpExchange exchange, String rest, String method, JsonNode body)
      throws IOException {
    if (!method.equals("POST")) {
      respond(exchange, 405, errors("unsupported operation"));
      return;
    }
    if (rest.equals("auth/approle/login") && roleId != null) {
      count("login.approle");
      if (!roleId.equals(body.path("role_id").asText()) || !secretId.equals(body.path("secret_id").asText())) {
        respond(exchange, 400, errors("invalid role or secret ID"));
        return;
      }
    } else if (rest.equals("auth/kubernetes/login") && kubernetesRole != null) {
      count("login.kubernetes");
      if (!kubernetesRole.equals(body.path("role").asText())
          || !kubernetesJwt.equals(body.path("jwt").asText())) {
        respond(exchange, 403, errors("permission denied"));
        return;
      }
    } else {
      respond(exchange, 404, errors("no handler for route \"" + rest + "\""));
      return;
    }
    String token = "hvs." + UUID.randomUUID();
    tokens.put(token, new Token(Instant.now().plusSeconds(loginTtlSeconds), true, loginTtlSeconds));
    respond(exchange, 200, authBody(token, loginTtlSeconds, true));
  }

  private void lookupSelf(HttpExchange exchange, String token) throws IOException {
    count("token.lookup-self");
    Token t = tokens.get(token);
    ObjectNode data = NODES.objectNode();
    long ttl = t.expiresAt().equals(Instant.MAX) ? 0
        : Math.max(0, Duration.between(Instant.now(), t.expiresAt()).toSeconds());
    data.put("accessor", "accessor-" + Integer.toHexString(token.hashCode()));
    data.put("creation_time", Instant.now().getEpochSecond());
    data.put("creation_ttl", t.ttlSeconds());
    data.put("display_name", token.equals(ROOT_TOKEN) ? "root" : "approle");
    data.putNull("entity_id");
    data.putNull("expire_time");
    data.put("explicit_max_ttl", 0);
    data.put("id", token);
    data.putNull("meta");
    data.put("num_uses", 0);
    data.put("orphan", true);
    data.put("path", token.equals(ROOT_TOKEN) ? "auth/token/root" : "auth/approle/login");
    data.putArray("policies").add(token.equals(ROOT_TOKEN) ? "root" : "keyward");
    data.put("renewable", t.renewable());
    data.put("ttl", ttl);
    data.put("type", "service");
    respond(exchange, 200, envelope(data, null));
  }

  private void renewSelf(HttpExchange exchange, String token) throws IOException {
    count("token.renew-self");
    Token t = tokens.get(token);
    if (!t.renewable()) {
      respond(exchange, 400, errors("lease is not renewable"));
      return;
    }
    tokens.put(token, new Token(Instant.now().plusSeconds(t.ttlSeconds()), true, t.ttlSeconds()));
    respond(exchange, 200, authBody(token, t.ttlSeconds(), true));
  }

  private static ObjectNode authBody(String token, long ttl, boolean renewable) {
    ObjectNode auth = NODES.objectNode();
    auth.put("client_token", token);
    auth.put("accessor", UUID.randomUUID().toString());
    auth.putArray("policies").add("keyward");
    auth.put("lease_duration", ttl);
    auth.put("renewable", renewable);
    auth.putNull("metadata");
    auth.put("token_type", "service");
    auth.put("orphan", true);
    return envelope(null, auth);
  }

  private boolean valid(String token) {
    if (token == null) {
      return false;
    }
    Token t = tokens.get(token);
    return t != null && Instant.now().isBefore(t.expiresAt());
  }

  // ---- KV v2 ----

  private synchronized void kv(HttpExchange exchange, String mount, String operation, String path,
      String method, Map<String, String> query, JsonNode body) throws IOException {
    String key = mount + "/" + path;
    switch (operation) {
      case "data" -> {
        if (method.equals("GET")) {
          count("kv.read");
          kvRead(exchange, key, query);
        } else if (method.equals("POST") || method.equals("PUT")) {
          count("kv.write");
          kvWrite(exchange, key, body);
        } else {
          respond(exchange, 405, errors("unsupported operation"));
        }
      }
      case "metadata" -> {
        if (method.equals("GET") && "true".equals(query.get("list")) || method.equals("LIST")) {
          count("kv.list");
          kvList(exchange, key);
        } else if (method.equals("GET")) {
          count("kv.metadata");
          kvMetadata(exchange, key);
        } else if (method.equals("POST") || method.equals("PUT")) {
          count("kv.metadata-write");
          KvEntry entry = kv.computeIfAbsent(key, k -> new KvEntry());
          JsonNode custom = body.path("custom_metadata");
          if (!custom.isObject()) {
            respond(exchange, 400, errors("custom_metadata must be an object"));
            return;
          }
          entry.custom = (ObjectNode) custom;
          entry.updated = Instant.now();
          respond(exchange, 204, null);
        } else {
          respond(exchange, 405, errors("unsupported operation"));
        }
      }
      case "destroy" -> {
        if (!method.equals("POST") && !method.equals("PUT")) {
          respond(exchange, 405, errors("unsupported operation"));
          return;
        }
        count("kv.destroy");
        KvEntry entry = kv.get(key);
        if (entry != null) {
          for (JsonNode v : body.path("versions")) {
            KvVersion version = entry.versions.get(v.asInt());
            if (version != null) {
              version.destroyed = true;
              version.data = null;
            }
          }
        }
        respond(exchange, 204, null);
      }
      default -> respond(exchange, 404, errors("no handler for route"));
    }
  }

  private void kvRead(HttpExchange exchange, String key, Map<String, String> query) throws IOException {
    KvEntry entry = kv.get(key);
    if (entry == null || entry.currentVersion == 0) {
      respond(exchange, 404, errors());
      return;
    }
    int wanted = query.containsKey("version") ? Integer.parseInt(query.get("version")) : 0;
    if (wanted == 0) {
      wanted = entry.currentVersion;
    }
    KvVersion version = entry.versions.get(wanted);
    if (version == null) {
      respond(exchange, 404, errors());
      return;
    }
    ObjectNode data = NODES.objectNode();
    if (version.destroyed) {
      data.putNull("data");
    } else {
      data.set("data", version.data);
    }
    data.set("metadata", versionMetadata(wanted, version, entry));
    respond(exchange, version.destroyed ? 404 : 200, envelope(data, null));
  }

  private void kvWrite(HttpExchange exchange, String key, JsonNode body) throws IOException {
    JsonNode values = body.path("data");
    if (!values.isObject()) {
      respond(exchange, 400, errors("no data provided"));
      return;
    }
    KvEntry entry = kv.computeIfAbsent(key, k -> new KvEntry());
    JsonNode cas = body.path("options").path("cas");
    if (!cas.isMissingNode() && cas.asInt() != entry.currentVersion) {
      respond(exchange, 400, errors("check-and-set parameter did not match the current version"));
      return;
    }
    int version = entry.currentVersion + 1;
    KvVersion stored = new KvVersion(Instant.now(), (ObjectNode) values);
    entry.versions.put(version, stored);
    entry.currentVersion = version;
    entry.updated = stored.created;
    while (entry.versions.size() > MAX_VERSIONS) {
      entry.versions.pollFirstEntry();
    }
    respond(exchange, 200, envelope(versionMetadata(version, stored, entry), null));
  }

  private void kvMetadata(HttpExchange exchange, String key) throws IOException {
    KvEntry entry = kv.get(key);
    if (entry == null) {
      respond(exchange, 404, errors());
      return;
    }
    ObjectNode data = NODES.objectNode();
    data.put("cas_required", false);
    data.put("created_time", entry.created.toString());
    data.put("current_version", entry.currentVersion);
    data.set("custom_metadata", entry.custom == null ? NODES.nullNode() : entry.custom);
    data.put("delete_version_after", "0s");
    data.put("max_versions", 0);
    data.put("oldest_version", entry.versions.isEmpty() ? 0 : entry.versions.firstKey());
    data.put("updated_time", entry.updated.toString());
    ObjectNode versions = data.putObject("versions");
    entry.versions.forEach((n, v) -> {
      ObjectNode info = versions.putObject(Integer.toString(n));
      info.put("created_time", v.created.toString());
      info.put("deletion_time", "");
      info.put("destroyed", v.destroyed);
    });
    respond(exchange, 200, envelope(data, null));
  }

  private void kvList(HttpExchange exchange, String key) throws IOException {
    String folder = key.endsWith("/") ? key : key + "/";
    TreeSet<String> names = new TreeSet<>();
    for (String path : kv.keySet()) {
      if (path.startsWith(folder)) {
        String rest = path.substring(folder.length());
        int slash = rest.indexOf('/');
        names.add(slash < 0 ? rest : rest.substring(0, slash + 1));
      }
    }
    if (names.isEmpty()) {
      respond(exchange, 404, errors());
      return;
    }
    ArrayNode keys = NODES.arrayNode();
    names.forEach(keys::add);
    ObjectNode data = NODES.objectNode();
    data.set("keys", keys);
    respond(exchange, 200, envelope(data, null));
  }

  private static ObjectNode versionMetadata(int number, KvVersion version, KvEntry entry) {
    ObjectNode metadata = NODES.objectNode();
    metadata.put("created_time", version.created.toString());
    metadata.set("custom_metadata", entry.custom == null ? NODES.nullNode() : entry.custom);
    metadata.put("deletion_time", "");
    metadata.put("destroyed", version.destroyed);
    metadata.put("version", number);
    return metadata;
  }

  // ---- Transit ----

  private void transit(HttpExchange exchange, String operation, String path, String method,
      JsonNode body) throws IOException {
    if (!method.equals("POST") && !method.equals("PUT")) {
      respond(exchange, 405, errors("unsupported operation"));
      return;
    }
    if (operation.equals("keys") && path.endsWith("/rotate")) {
      count("transit.rotate");
      List<byte[]> versions = transitKeys.get(path.substring(0, path.length() - "/rotate".length()));
      if (versions == null) {
        respond(exchange, 400, errors("key not found"));
        return;
      }
      versions.add(newKey());
      respond(exchange, 204, null);
      return;
    }
    List<byte[]> versions = transitKeys.get(path);
    if (versions == null || (!operation.equals("encrypt") && !operation.equals("decrypt"))) {
      respond(exchange, versions == null ? 400 : 404, errors(versions == null
          ? "encryption key not found" : "no handler for route"));
      return;
    }
    byte[] associatedData = body.hasNonNull("associated_data")
        ? Base64.getDecoder().decode(body.path("associated_data").asText()) : new byte[0];
    ObjectNode data = NODES.objectNode();
    try {
      if (operation.equals("encrypt")) {
        count("transit.encrypt");
        byte[] plaintext = Base64.getDecoder().decode(body.path("plaintext").asText());
        int version = versions.size();
        data.put("ciphertext", "vault:v" + version + ":"
            + Base64.getEncoder().encodeToString(gcm(Cipher.ENCRYPT_MODE, versions.get(version - 1),
                plaintext, associatedData)));
        data.put("key_version", version);
      } else {
        count("transit.decrypt");
        String ciphertext = body.path("ciphertext").asText();
        String[] fields = ciphertext.split(":", 3);
        if (fields.length != 3 || !fields[0].equals("vault") || !fields[1].startsWith("v")) {
          respond(exchange, 400, errors("invalid ciphertext: no prefix"));
          return;
        }
        int version = Integer.parseInt(fields[1].substring(1));
        if (version < 1 || version > versions.size()) {
          respond(exchange, 400, errors("invalid key version"));
          return;
        }
        byte[] plaintext = gcm(Cipher.DECRYPT_MODE, versions.get(version - 1),
            Base64.getDecoder().decode(fields[2]), associatedData);
        data.put("plaintext", Base64.getEncoder().encodeToString(plaintext));
      }
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      respond(exchange, 400, errors("cipher: message authentication failed"));
      return;
    }
    respond(exchange, 200, envelope(data, null));
  }

  private byte[] gcm(int mode, byte[] key, byte[] input, byte[] associatedData)
      throws GeneralSecurityException {
    Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
    if (mode == Cipher.ENCRYPT_MODE) {
      byte[] nonce = new byte[12];
      random.nextBytes(nonce);
      cipher.init(mode, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, nonce));
      cipher.updateAAD(associatedData);
      byte[] sealed = cipher.doFinal(input);
      return ByteBuffer.allocate(12 + sealed.length).put(nonce).put(sealed).array();
    }
    cipher.init(mode, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, input, 0, 12));
    cipher.updateAAD(associatedData);
    return cipher.doFinal(input, 12, input.length - 12);
  }

  private byte[] newKey() {
    byte[] key = new byte[32];
    random.nextBytes(key);
    return key;
  }

  // ---- plumbing ----

  private void count(String operation) {
    calls.computeIfAbsent(operation, k -> new AtomicInteger()).incrementAndGet();
  }

  /** Vault's response envelope around {@code data} and/or {@code auth}. */
  private static ObjectNode envelope(JsonNode data, JsonNode auth) {
    ObjectNode body = NODES.objectNode();
    body.put("request_id", UUID.randomUUID().toString());
    body.put("lease_id", "");
    body.put("renewable", false);
    body.put("lease_duration", 0);
    body.set("data", data == null ? NODES.nullNode() : data);
    body.putNull("wrap_info");
    body.putNull("warnings");
    body.set("auth", auth == null ? NODES.nullNode() : auth);
    body.put("mount_type", "");
    return body;
  }

  private static ObjectNode errors(String... messages) {
    ObjectNode body = NODES.objectNode();
    ArrayNode list = body.putArray("errors");
    for (String m : messages) {
      list.add(m);
    }
    return body;
  }

  private static JsonNode readBody(HttpExchange exchange) throws IOException {
    byte[] bytes = exchange.getRequestBody().readAllBytes();
    if (bytes.length == 0) {
      return NODES.objectNode();
    }
    try {
      return JSON.readTree(bytes);
    } catch (IOException e) {
      return NODES.objectNode();
    }
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> out = new TreeMap<>();
    if (raw != null) {
      for (String pair : raw.split("&")) {
        int eq = pair.indexOf('=');
        out.put(eq < 0 ? pair : pair.substring(0, eq), eq < 0 ? "" : pair.substring(eq + 1));
      }
    }
    return out;
  }

  private static void respond(HttpExchange exchange, int status, JsonNode body) throws IOException {
    if (body == null) {
      exchange.sendResponseHeaders(status, -1);
      return;
    }
    byte[] bytes = JSON.writeValueAsBytes(body);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
