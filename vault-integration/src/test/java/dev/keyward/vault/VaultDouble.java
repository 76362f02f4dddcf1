package dev.keyward.vault;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.keyward.vault.VaultAcl.Capability;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
import javax.net.ssl.SSLContext;

/**
 * An in-process stand-in for Vault's HTTP API, implementing what Keyward calls through the Vault
 * Java Driver and answering as Vault (and OpenBao, whose handlers it follows) does:
 *
 * <ul>
 *   <li>ACL policies ({@link VaultAcl}): every request but a login is checked against the token's
 *       policies, with create and update told apart by whether the target exists, as Vault's
 *       existence checks do; anything outside them is 403 {@code permission denied}.
 *   <li>Tokens: TTL, {@code token_max_ttl} capping renewals (with Vault's warning), {@code
 *       issue_time} and {@code expire_time} in lookup-self, revoke-self, the {@code default}
 *       policy attached to login tokens.
 *   <li>AppRole login; Kubernetes and JWT login with a signed service-account token (RS256),
 *       audience, expiry and bound service account checked; 400 for an unknown role, 403 for a
 *       token that does not verify.
 *   <li>KV v2: versions, check-and-set (a mismatch creates nothing), custom metadata with Vault's
 *       limits, soft delete with {@code deletion_time} and {@code delete_version_after}, destroy,
 *       {@code max_versions}, list.
 *   <li>Transit: encrypt and decrypt with associated data, upsert of an unknown key on encrypt
 *       (needs {@code create}), key versions and rotation (answering with the key), {@code
 *       min_decryption_version}.
 * </ul>
 *
 * <p>Faults can be injected: down (connection refused), sealed (503), a standby redirecting (307),
 * any status for the next requests (e.g. 412, 429) or for the next requests to one path, latency
 * (everywhere or on one path), expired tokens. It serves HTTPS with a test CA's certificate when
 * started with {@link #startTls}.
 */
public final class VaultDouble implements AutoCloseable {

  public static final String ROOT_TOKEN = "hvs.double-root-token";
  public static final int MAX_VERSIONS = 10;
  /** The policy that allows everything except root-only paths, for tests that are not about ACLs. */
  public static final String EVERYTHING = "test-everything";
  /** What Vault's ACL denial answers. */
  static final String PERMISSION_DENIED = "1 error occurred:\n\t* permission denied\n\n";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final Duration SYSTEM_MAX_TTL = Duration.ofDays(32);
  /** Vault's built-in {@code default} policy, as far as Keyward's calls go. */
  private static final String DEFAULT_POLICY = """
      path "auth/token/lookup-self" { capabilities = ["read"] }
      path "auth/token/renew-self" { capabilities = ["update"] }
      path "auth/token/revoke-self" { capabilities = ["update"] }
      """;

  /** A token as Vault's token store keeps it. */
  private static final class Token {
    final String id;
    final String accessor = "acc-" + UUID.randomUUID();
    final List<String> policies;
    final VaultAcl.Identity identity;
    final Instant issued;
    final Duration ttl;
    final Instant maxExpiry; // null: no max
    final boolean renewable;
    final String path;
    final String displayName;
    volatile Instant expiry; // null: never

    Token(String id, List<String> policies, VaultAcl.Identity identity, Instant issued,
        Duration ttl, Duration maxTtl, boolean renewable, String path, String displayName) {
      this.id = id;
      this.policies = List.copyOf(policies);
      this.identity = identity;
      this.issued = issued;
      this.ttl = ttl;
      this.maxExpiry = maxTtl == null ? null : issued.plus(maxTtl);
      this.renewable = renewable;
      this.path = path;
      this.displayName = displayName;
      this.expiry = ttl == null ? null : min(issued.plus(ttl), maxExpiry);
    }
  }

  /** An AppRole role. */
  private record AppRole(String name, String roleId, Set<String> secretIds, List<String> policies,
      Duration ttl, Duration maxTtl) {}

  /** Which of Vault's two service-account login methods a mount emulates. */
  public enum LoginKind {
    /** Vault's Kubernetes auth: the alias is the service account's UID. */
    KUBERNETES,
    /** Vault's JWT auth configured for Kubernetes tokens: the alias is a claim ({@code user_claim}). */
    JWT
  }

  /** A role of a Kubernetes or JWT auth mount. */
  private record ServiceAccountRole(String mount, LoginKind kind, String name, PublicKey key,
      String audience, String serviceAccount, String namespace, String aliasClaim,
      List<String> policies, Duration ttl, Duration maxTtl) {}

  private static final class KvVersion {
    final Instant created;
    Instant deletionTime; // null: none
    boolean destroyed;
    ObjectNode data;

    KvVersion(Instant created, Instant deletionTime, ObjectNode data) {
      this.created = created;
      this.deletionTime = deletionTime;
      this.data = data;
    }
  }

  private static final class KvEntry {
    final TreeMap<Integer, KvVersion> versions = new TreeMap<>();
    int currentVersion;
    int maxVersions;
    boolean casRequired;
    Duration deleteVersionAfter = Duration.ZERO;
    Map<String, String> custom = new TreeMap<>();
    Instant created;
    Instant updated;
  }

  private static final class KvMount {
    final Map<String, KvEntry> entries = new TreeMap<>();
    volatile Duration deleteVersionAfter = Duration.ZERO;
    volatile int maxVersions = MAX_VERSIONS;
  }

  private static final class TransitKey {
    final List<byte[]> versions = new ArrayList<>();
    int minDecryptionVersion = 1;
    int minEncryptionVersion;
  }

  private final Map<String, Token> tokens = new ConcurrentHashMap<>();
  private final Map<String, VaultAcl.Policy> policies = new ConcurrentHashMap<>();
  private final Map<String, String> authAccessors = new ConcurrentHashMap<>();
  private final Map<String, String> entityIds = new ConcurrentHashMap<>();
  private final Map<String, AppRole> appRoles = new ConcurrentHashMap<>();
  private final Map<String, ServiceAccountRole> serviceAccountRoles = new ConcurrentHashMap<>();
  private final Map<String, KvMount> kvMounts = new ConcurrentHashMap<>();
  private final Map<String, Map<String, TransitKey>> transitMounts = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
  private final SecureRandom random = new SecureRandom();
  private final ExecutorService executor = Executors.newFixedThreadPool(8);

  private volatile Clock clock = Clock.systemUTC();
  private volatile String namespace;
  private volatile Duration loginTtl = Duration.ofHours(1);
  private volatile Duration loginMaxTtl = SYSTEM_MAX_TTL;
  private volatile boolean sealed;
  private volatile String standbyRedirect;
  private volatile Duration latency = Duration.ZERO;
  private final AtomicInteger failures = new AtomicInteger();
  private volatile int failureStatus;
  /** Faults on one API path (after {@code /v1/}): how many failures are left, with what. */
  private final Map<String, PathFault> pathFaults = new ConcurrentHashMap<>();
  private final SSLContext tls;
  private final int port;
  private HttpServer server;

  private VaultDouble(SSLContext tls) throws IOException {
    this.tls = tls;
    tokens.put(ROOT_TOKEN, new Token(ROOT_TOKEN, List.of("root"), VaultAcl.Identity.NONE,
        Instant.now(), null, null, false, "auth/token/root", "root"));
    policies.put("default", VaultAcl.parse("default", DEFAULT_POLICY));
    policies.put(EVERYTHING, VaultAcl.parse(EVERYTHING,
        "path \"*\" { capabilities = [\"create\", \"read\", \"update\", \"delete\", \"list\"] }"));
    server = newServer(0);
    port = server.getAddress().getPort();
    serve();
  }

  /** A running double with KV v2 at {@code secret/} and Transit at {@code transit/}. */
  public static VaultDouble start() throws IOException {
    return withMounts(new VaultDouble(null));
  }

  /** As {@link #start()}, over HTTPS with a certificate for {@code names} signed by {@code ca}. */
  public static VaultDouble startTls(TestCa ca, String... names) throws IOException {
    return withMounts(new VaultDouble(ca.serverContext(names)));
  }

  private static VaultDouble withMounts(VaultDouble vault) {
    vault.kvMounts.put("secret", new KvMount());
    vault.transitMounts.put("transit", new ConcurrentHashMap<>());
    return vault;
  }

  private HttpServer newServer(int listenPort) throws IOException {
    InetSocketAddress address = new InetSocketAddress("127.0.0.1", listenPort);
    if (tls == null) {
      return HttpServer.create(address, 0);
    }
    HttpsServer https = HttpsServer.create(address, 0);
    https.setHttpsConfigurator(new HttpsConfigurator(tls));
    return https;
  }

  private void serve() {
    server.createContext("/", this::handle);
    server.setExecutor(executor);
    server.start();
  }

  /** {@code http://127.0.0.1:port}, or {@code https://localhost:port} when serving TLS. */
  public String address() {
    return tls == null ? "http://127.0.0.1:" + port : "https://localhost:" + port;
  }

  public int port() {
    return port;
  }

  // ---- set-up ----

  /** The clock that decides token expiry, issue times and KV deletion times. */
  public VaultDouble clock(Clock value) {
    this.clock = value;
    return this;
  }

  public VaultDouble createTransitKey(String name) {
    transitMounts.get("transit").computeIfAbsent(name, k -> new TransitKey()).versions
        .add(newKey());
    return this;
  }

  /** Registers an ACL policy, as {@code vault policy write}. */
  public VaultDouble policy(String name, String hcl) {
    policies.put(name, VaultAcl.parse(name, hcl));
    return this;
  }

  /**
   * Registers a policy file; {@code substitutions} replace placeholders first (e.g. the auth
   * mount accessor in an identity template, as {@code k8s/vault/setup.sh} does with sed).
   */
  public VaultDouble policyFile(String name, Path file, Map<String, String> substitutions)
      throws IOException {
    policies.put(name, VaultAcl.load(name, file, substitutions));
    return this;
  }

  /**
   * Installs the policies Keyward ships ({@code k8s/vault/*.hcl} in {@code dir}) as setup.sh does:
   * the JWT mount's accessor put in for {@code AUTH_JWT_ACCESSOR}.
   */
  public VaultDouble keywardPolicies(Path dir) throws IOException {
    Map<String, String> accessor = Map.of("AUTH_JWT_ACCESSOR", accessor("jwt"));
    for (String name : List.of("keyward-proxy", "keyward-operator", "keyward-kek-rotation")) {
      policyFile(name, dir.resolve(name + ".hcl"), accessor);
    }
    return this;
  }

  /** The accessor of an auth mount, e.g. {@code auth_jwt_…}, for identity templates. */
  public String accessor(String mount) {
    return authAccessors.computeIfAbsent(mount,
        m -> "auth_" + m.replace('/', '_') + "_" + Integer.toHexString(m.hashCode()));
  }

  /** An AppRole role {@code keyward} whose tokens may do anything ({@link #EVERYTHING}). */
  public VaultDouble appRole(String roleId, String secretId) {
    return appRole("keyward", roleId, secretId, List.of(EVERYTHING));
  }

  /** An AppRole role with these token policies; its tokens live {@link #loginTtl}. */
  public VaultDouble appRole(String role, String roleId, String secretId, List<String> tokenPolicies) {
    appRoles.put(roleId, new AppRole(role, roleId, ConcurrentHashMap.newKeySet(), tokenPolicies,
        null, null));
    appRoles.get(roleId).secretIds().add(secretId);
    accessor("approle");
    return this;
  }

  /**
   * A role of a Kubernetes ({@link LoginKind#KUBERNETES}) or JWT ({@link LoginKind#JWT}) auth mount
   * for tokens of {@code namespace/serviceAccount} signed by {@code issuer}, with audience {@code
   * audience}.
   *
   * @param aliasClaim for JWT: a JSON pointer to the claim that names the entity alias ({@code
   *     user_claim}); ignored for Kubernetes (the service account's UID)
   */
  public VaultDouble serviceAccountRole(String mount, LoginKind kind, String role, TestJwt issuer,
      String audience, String namespace, String serviceAccount, String aliasClaim,
      List<String> tokenPolicies) {
    serviceAccountRoles.put(mount + "/" + role, new ServiceAccountRole(mount, kind, role,
        issuer.publicKey(), audience, serviceAccount, namespace, aliasClaim, tokenPolicies, null,
        null));
    accessor(mount);
    return this;
  }

  /** Kubernetes auth at {@code kubernetes/}: role {@code role} for {@code keyward/keyward}. */
  public VaultDouble kubernetes(String role, TestJwt issuer) {
    return serviceAccountRole("kubernetes", LoginKind.KUBERNETES, role, issuer, "vault",
        "keyward", "keyward", null, List.of(EVERYTHING));
  }

  /** Tokens issued by logins from now on live this long ({@code token_ttl}). */
  public VaultDouble loginTtl(Duration ttl) {
    this.loginTtl = ttl;
    return this;
  }

  /** Login tokens cannot be renewed past this much after their issue ({@code token_max_ttl}). */
  public VaultDouble loginMaxTtl(Duration maxTtl) {
    this.loginMaxTtl = maxTtl;
    return this;
  }

  public VaultDouble requireNamespace(String ns) {
    this.namespace = ns;
    return this;
  }

  /** The KV mount's {@code delete_version_after}: every new version gets a deletion time. */
  public VaultDouble kvDeleteVersionAfter(String mount, Duration after) {
    kvMounts.get(mount).deleteVersionAfter = after;
    return this;
  }

  /** Raises a Transit key's {@code min_decryption_version}, as {@code transit/keys/K/config}. */
  public synchronized void transitMinDecryptionVersion(String key, int version) {
    TransitKey k = transitMounts.get("transit").get(key);
    if (version < 1 || version > k.versions.size()) {
      throw new IllegalArgumentException("min_decryption_version " + version
          + " outside 1.." + k.versions.size());
    }
    k.minDecryptionVersion = version;
  }

  public synchronized int transitLatestVersion(String key) {
    return transitMounts.get("transit").get(key).versions.size();
  }

  // ---- faults ----

  /** Stops listening: connections are refused, as when Vault is down. */
  public synchronized void down() {
    server.stop(0);
  }

  /** Listens again on the same port. */
  public synchronized void up() throws IOException {
    server = newServer(port);
    serve();
  }

  /** Sealed, every request (logins too) gets 503, as from a sealed Vault. */
  public void sealed(boolean value) {
    this.sealed = value;
  }

  /**
   * A performance-standby-less standby: every request gets 307 with {@code Location} on {@code
   * activeAddress} (what Vault does with request forwarding off). Null stops it.
   */
  public void standbyRedirectingTo(String activeAddress) {
    this.standbyRedirect = activeAddress;
  }

  public void latency(Duration value) {
    this.latency = value;
  }

  /** The next {@code count} requests fail with {@code status}. */
  public void failNext(int count, int status) {
    failureStatus = status;
    failures.set(count);
  }

  /**
   * The next {@code count} requests to {@code apiPath} (after {@code /v1/}, e.g. {@code
   * auth/token/lookup-self}) fail with {@code status}; other paths are served as usual.
   */
  public void failNextOn(String apiPath, int count, int status) {
    pathFaults.put(apiPath, new PathFault(new AtomicInteger(count), status, Duration.ZERO));
  }

  /** Requests to {@code apiPath} are answered only after {@code delay}: a hung endpoint. */
  public void latencyOn(String apiPath, Duration delay) {
    pathFaults.put(apiPath, new PathFault(new AtomicInteger(), 0, delay));
  }

  /** Every token but the root token expires now: the next call with one gets 403. */
  public void expireLoginTokens() {
    Instant past = clock.instant().minusSeconds(1);
    tokens.values().forEach(t -> {
      if (!t.id.equals(ROOT_TOKEN)) {
        t.expiry = past;
      }
    });
  }

  /** Tokens issued by logins that are still valid (neither expired nor revoked). */
  public int liveLoginTokens() {
    return (int) tokens.values().stream().filter(t -> !t.id.equals(ROOT_TOKEN) && alive(t))
        .count();
  }

  /** How many times an operation was called, e.g. {@code kv.read}, {@code login.approle}. */
  public int calls(String operation) {
    AtomicInteger n = calls.get(operation);
    return n == null ? 0 : n.get();
  }

  /** The raw stored KV data of every version, for "never stored in clear" checks. */
  public synchronized String rawKv() {
    StringBuilder all = new StringBuilder();
    kvMounts.forEach((mount, kv) -> kv.entries.forEach((path, entry) ->
        entry.versions.forEach((v, version) -> all.append(mount).append('/').append(path)
            .append('#').append(v).append(' ').append(version.data).append('\n'))));
    return all.toString();
  }

  /**
   * Replaces one field of a stored version in place, as someone with write access to Vault's
   * storage backend could: for tamper tests.
   */
  public synchronized void tamper(String mount, String path, int version, String field,
      String value) {
    kvMounts.get(mount).entries.get(path).versions.get(version).data.put(field, value);
  }

  // ---- dispatch ----

  private record PathFault(AtomicInteger remaining, int status, Duration delay) {}

  /** One request as the handlers see it. */
  private record Request(HttpExchange exchange, String path, String method,
      Map<String, String> query, JsonNode body, Token token) {}

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      if (!latency.isZero()) {
        Thread.sleep(latency.toMillis());
      }
      if (sealed) {
        respond(exchange, 503, errors("Vault is sealed"));
        return;
      }
      if (standbyRedirect != null) {
        URI uri = exchange.getRequestURI();
        exchange.getResponseHeaders().set("Location", standbyRedirect + uri.getRawPath()
            + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery()));
        exchange.sendResponseHeaders(307, -1);
        return;
      }
      if (failures.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        if (failureStatus == 429) {
          exchange.getResponseHeaders().set("Retry-After", "1");
        }
        respond(exchange, failureStatus, errors(failureStatus == 429
            ? "request path \"" + exchange.getRequestURI().getPath() + "\": rate limit quota exceeded"
            : "injected failure"));
        return;
      }
      URI uri = exchange.getRequestURI();
      String path = uri.getPath();
      PathFault fault = path.startsWith("/v1/") ? pathFaults.get(path.substring(4)) : null;
      if (fault != null && !fault.delay().isZero()) {
        Thread.sleep(fault.delay().toMillis());
      }
      if (fault != null && fault.remaining().getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        respond(exchange, fault.status(), errors("injected failure"));
        return;
      }
      if (!path.startsWith("/v1/")) {
        respond(exchange, 404, errors("no handler for route"));
        return;
      }
      if (namespace != null
          && !namespace.equals(exchange.getRequestHeaders().getFirst("X-Vault-Namespace"))) {
        respond(exchange, 403, errors("permission denied"));
        return;
      }
      String rest = path.substring("/v1/".length());
      Map<String, String> query = query(uri.getRawQuery());
      String method = exchange.getRequestMethod();
      JsonNode body = readBody(exchange);
      if (rest.startsWith("auth/") && rest.endsWith("/login")) {
        login(exchange, rest.substring("auth/".length(), rest.length() - "/login".length()),
            method, body);
        return;
      }
      Token token = liveToken(exchange.getRequestHeaders().getFirst("X-Vault-Token"));
      if (token == null) {
        respond(exchange, 403, errors("permission denied"));
        return;
      }
      route(new Request(exchange, rest, method, query, body, token));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      respond(exchange, 500, errors("internal error: " + e.getClass().getSimpleName()));
    }
  }

  private void route(Request r) throws IOException {
    switch (r.path()) {
      case "auth/token/lookup-self" -> {
        if (method(r, "GET") && allowed(r, Capability.READ)) {
          lookupSelf(r);
        }
        return;
      }
      case "auth/token/renew-self" -> {
        if (method(r, "POST", "PUT") && allowed(r, Capability.UPDATE)) {
          renewSelf(r);
        }
        return;
      }
      case "auth/token/revoke-self" -> {
        if (method(r, "POST", "PUT") && allowed(r, Capability.UPDATE)) {
          count("token.revoke-self");
          tokens.remove(r.token().id);
          respond(r.exchange(), 204, null);
        }
        return;
      }
      default -> {
        // a secrets engine
      }
    }
    String[] parts = r.path().split("/", 3);
    if (parts.length < 2) {
      respond(r.exchange(), 404, errors("no handler for route \"" + r.path() + "\""));
      return;
    }
    String mount = parts[0];
    String operation = parts[1];
    String path = parts.length > 2 ? parts[2] : "";
    if (kvMounts.containsKey(mount)) {
      kv(r, kvMounts.get(mount), operation, path);
    } else if (transitMounts.containsKey(mount)) {
      transit(r, transitMounts.get(mount), operation, path);
    } else {
      respond(r.exchange(), 404, errors("no handler for route \"" + r.path() + "\""));
    }
  }

  private boolean method(Request r, String... allowed) throws IOException {
    for (String m : allowed) {
      if (m.equals(r.method())) {
        return true;
      }
    }
    respond(r.exchange(), 405, errors("unsupported operation"));
    return false;
  }

  /** The ACL check: false (and a 403 sent) when the token's policies lack {@code needed}. */
  private boolean allowed(Request r, Capability needed) throws IOException {
    if (r.token().policies.contains("root")) {
      return true;
    }
    List<VaultAcl.Policy> attached = new ArrayList<>();
    for (String name : r.token().policies) {
      VaultAcl.Policy policy = policies.get(name);
      if (policy != null) {
        attached.add(policy);
      }
    }
    // Vault's HTTP layer ends a LIST request's path with '/' before the ACL sees it.
    String path = needed == Capability.LIST && !r.path().endsWith("/") ? r.path() + "/" : r.path();
    Set<Capability> granted = new VaultAcl.Compiled(attached, r.token().identity)
        .capabilities(path, needed == Capability.LIST);
    if (granted.contains(needed)) {
      return true;
    }
    count("acl.denied");
    respond(r.exchange(), 403, errors(PERMISSION_DENIED));
    return false;
  }

  // ---- auth ----

  private void login(HttpExchange exchange, String mount, String method, JsonNode body)
      throws IOException {
    if (!method.equals("POST") && !method.equals("PUT")) {
      respond(exchange, 405, errors("unsupported operation"));
      return;
    }
    if (mount.equals("approle")) {
      count("login.approle");
      AppRole role = appRoles.get(body.path("role_id").asText(""));
      if (role == null || !role.secretIds().contains(body.path("secret_id").asText(""))) {
        respond(exchange, 400, errors("invalid role or secret ID"));
        return;
      }
      issue(exchange, role.policies(), new VaultAcl.Alias(role.roleId(),
          Map.of("role_name", role.name())), accessor("approle"), "auth/approle/login", "approle");
      return;
    }
    if (serviceAccountRoles.keySet().stream().noneMatch(k -> k.startsWith(mount + "/"))) {
      respond(exchange, 404, errors("no handler for route \"auth/" + mount + "/login\""));
      return;
    }
    String roleName = body.path("role").asText("");
    ServiceAccountRole role = serviceAccountRoles.get(mount + "/" + roleName);
    count(role == null || role.kind() == LoginKind.KUBERNETES ? "login.kubernetes" : "login.jwt");
    if (roleName.isEmpty()) {
      respond(exchange, 400, errors("missing role"));
      return;
    }
    if (role == null) {
      boolean jwtMount = serviceAccountRoles.values().stream()
          .anyMatch(r -> r.mount().equals(mount) && r.kind() == LoginKind.JWT);
      respond(exchange, 400, errors(jwtMount ? "role \"" + roleName + "\" could not be found"
          : "invalid role name \"" + roleName + "\""));
      return;
    }
    Optional<JsonNode> claims = verifiedClaims(body.path("jwt").asText(""), role);
    if (claims.isEmpty()) {
      respond(exchange, role.kind() == LoginKind.JWT ? 400 : 403, errors(
          role.kind() == LoginKind.JWT ? "error validating token: invalid token" : "permission denied"));
      return;
    }
    JsonNode k8s = claims.get().path("kubernetes.io");
    String aliasName = role.kind() == LoginKind.KUBERNETES
        ? k8s.path("serviceaccount").path("uid").asText("")
        : claims.get().at(role.aliasClaim()).asText("");
    if (aliasName.isEmpty()) {
      respond(exchange, 400, errors("claim \"" + role.aliasClaim() + "\" not found in token"));
      return;
    }
    issue(exchange, role.policies(), new VaultAcl.Alias(aliasName, Map.of(
        "service_account_name", k8s.path("serviceaccount").path("name").asText(""),
        "service_account_namespace", k8s.path("namespace").asText(""),
        "role", roleName)), accessor(mount), "auth/" + mount + "/login",
        k8s.path("namespace").asText("") + "-" + k8s.path("serviceaccount").path("name").asText(""));
  }

  /** The token's claims when its signature, expiry, audience and service account all check. */
  private Optional<JsonNode> verifiedClaims(String jwt, ServiceAccountRole role) {
    String[] parts = jwt.split("\\.");
    if (parts.length != 3) {
      return Optional.empty();
    }
    try {
      JsonNode header = JSON.readTree(Base64.getUrlDecoder().decode(parts[0]));
      if (!"RS256".equals(header.path("alg").asText())) {
        return Optional.empty();
      }
      Signature verifier = Signature.getInstance("SHA256withRSA");
      verifier.initVerify(role.key());
      verifier.update((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
      if (!verifier.verify(Base64.getUrlDecoder().decode(parts[2]))) {
        return Optional.empty();
      }
      JsonNode claims = JSON.readTree(Base64.getUrlDecoder().decode(parts[1]));
      long now = clock.instant().getEpochSecond();
      if (!claims.has("exp") || claims.path("exp").asLong() <= now
          || claims.has("nbf") && claims.path("nbf").asLong() > now) {
        return Optional.empty();
      }
      boolean audience = false;
      for (JsonNode aud : claims.path("aud").isArray() ? claims.path("aud")
          : NODES.arrayNode().add(claims.path("aud"))) {
        audience |= aud.asText().equals(role.audience());
      }
      JsonNode k8s = claims.path("kubernetes.io");
      if (!audience || !role.serviceAccount().equals(k8s.path("serviceaccount").path("name")
          .asText()) || !role.namespace().equals(k8s.path("namespace").asText())) {
        return Optional.empty();
      }
      return Optional.of(claims);
    } catch (IOException | GeneralSecurityException | IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  private void issue(HttpExchange exchange, List<String> tokenPolicies, VaultAcl.Alias alias,
      String accessor, String path, String displayName) throws IOException {
    String entityId = entityIds.computeIfAbsent(accessor + "/" + alias.name(),
        k -> UUID.randomUUID().toString());
    List<String> all = new ArrayList<>(List.of("default"));
    tokenPolicies.stream().filter(p -> !p.equals("default")).forEach(all::add);
    Token token = new Token("hvs." + UUID.randomUUID(), all, new VaultAcl.Identity(entityId,
        "entity_" + entityId.substring(0, 8), Map.of(accessor, alias)),
        clock.instant().truncatedTo(ChronoUnit.SECONDS), loginTtl, loginMaxTtl, true, path,
        displayName);
    tokens.put(token.id, token);
    ObjectNode auth = NODES.objectNode();
    auth.put("client_token", token.id);
    auth.put("accessor", token.accessor);
    ArrayNode list = auth.putArray("policies");
    all.forEach(list::add);
    ArrayNode tokenList = auth.putArray("token_policies");
    all.forEach(tokenList::add);
    auth.set("metadata", JSON.valueToTree(alias.metadata()));
    auth.put("lease_duration", token.expiry == null ? 0
        : Duration.between(token.issued, token.expiry).getSeconds());
    auth.put("renewable", true);
    auth.put("entity_id", entityId);
    auth.put("token_type", "service");
    auth.put("orphan", true);
    respond(exchange, 200, envelope(null, auth, List.of()));
  }

  private void lookupSelf(Request r) throws IOException {
    count("token.lookup-self");
    Token t = r.token();
    ObjectNode data = NODES.objectNode();
    data.put("accessor", t.accessor);
    data.put("creation_time", t.issued.getEpochSecond());
    data.put("creation_ttl", t.ttl == null ? 0 : t.ttl.getSeconds());
    data.put("display_name", t.displayName);
    data.put("entity_id", t.identity.entityId());
    if (t.expiry == null) {
      data.putNull("expire_time");
    } else {
      data.put("expire_time", t.expiry.toString());
    }
    data.put("explicit_max_ttl", 0);
    data.put("id", t.id);
    if (t.expiry != null) {
      data.put("issue_time", t.issued.toString());
    }
    data.putNull("meta");
    data.put("num_uses", 0);
    data.put("orphan", true);
    data.put("path", t.path);
    ArrayNode list = data.putArray("policies");
    t.policies.forEach(list::add);
    data.put("renewable", t.renewable);
    data.put("ttl", t.expiry == null ? 0
        : Math.max(0, Duration.between(clock.instant(), t.expiry).getSeconds()));
    data.put("type", "service");
    respond(r.exchange(), 200, envelope(data, null, List.of()));
  }

  /** Renews for the token's TTL (or {@code increment}), capped at its max TTL with a warning. */
  private void renewSelf(Request r) throws IOException {
    count("token.renew-self");
    Token t = r.token();
    if (!t.renewable || t.expiry == null) {
      respond(r.exchange(), 400, errors("lease is not renewable"));
      return;
    }
    Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
    Duration ttl = r.body().has("increment") ? parseDuration(r.body().path("increment"))
        : t.ttl;
    List<String> warnings = new ArrayList<>();
    if (t.maxExpiry != null) {
      Duration left = Duration.between(now, t.maxExpiry);
      if (left.isNegative() || left.isZero()) {
        respond(r.exchange(), 400, errors("past the max TTL, cannot renew"));
        return;
      }
      if (left.compareTo(ttl) < 0) {
        warnings.add("TTL of \"" + human(ttl) + "\" exceeded the effective max_ttl of \""
            + human(left) + "\"; TTL value is capped accordingly");
        ttl = left;
      }
    }
    t.expiry = now.plus(ttl);
    ObjectNode auth = NODES.objectNode();
    auth.put("client_token", t.id);
    auth.put("accessor", t.accessor);
    ArrayNode list = auth.putArray("policies");
    t.policies.forEach(list::add);
    auth.putNull("metadata");
    auth.put("lease_duration", ttl.getSeconds());
    auth.put("renewable", true);
    auth.put("entity_id", t.identity.entityId());
    auth.put("token_type", "service");
    auth.put("orphan", true);
    respond(r.exchange(), 200, envelope(null, auth, warnings));
  }

  private static Duration parseDuration(JsonNode value) {
    if (value.isNumber()) {
      return Duration.ofSeconds(value.asLong());
    }
    String text = value.asText();
    return text.matches("\\d+") ? Duration.ofSeconds(Long.parseLong(text))
        : Duration.parse("PT" + text.toUpperCase(java.util.Locale.ROOT));
  }

  /** Go's duration format without zero units, as Vault prints TTLs ({@code 1h}, {@code 9m59s}). */
  private static String human(Duration d) {
    if (d.isZero()) {
      return "0s";
    }
    StringBuilder out = new StringBuilder();
    if (d.toHours() > 0) {
      out.append(d.toHours()).append('h');
    }
    if (d.toMinutesPart() > 0) {
      out.append(d.toMinutesPart()).append('m');
    }
    if (d.toSecondsPart() > 0) {
      out.append(d.toSecondsPart()).append('s');
    }
    return out.toString();
  }

  private Token liveToken(String id) {
    if (id == null) {
      return null;
    }
    Token t = tokens.get(id);
    return t != null && alive(t) ? t : null;
  }

  private boolean alive(Token t) {
    return t.expiry == null || clock.instant().isBefore(t.expiry);
  }

  // ---- KV v2 ----

  private void kv(Request r, KvMount mount, String operation, String path) throws IOException {
    synchronized (this) {
      switch (operation) {
        case "data" -> kvData(r, mount, path);
        case "metadata" -> kvMetadata(r, mount, path);
        case "destroy" -> {
          if (method(r, "POST", "PUT") && allowed(r, Capability.UPDATE)) {
            count("kv.destroy");
            KvEntry entry = mount.entries.get(path);
            if (entry != null) {
              for (JsonNode v : r.body().path("versions")) {
                KvVersion version = entry.versions.get(v.asInt());
                if (version != null) {
                  version.destroyed = true;
                  version.data = null;
                }
              }
            }
            respond(r.exchange(), 204, null);
          }
        }
        case "delete" -> {
          if (method(r, "POST", "PUT") && allowed(r, Capability.UPDATE)) {
            count("kv.delete");
            KvEntry entry = mount.entries.get(path);
            if (entry != null) {
              for (JsonNode v : r.body().path("versions")) {
                KvVersion version = entry.versions.get(v.asInt());
                if (version != null && version.deletionTime == null) {
                  version.deletionTime = clock.instant();
                }
              }
            }
            respond(r.exchange(), 204, null);
          }
        }
        default -> respond(r.exchange(), 404, errors("no handler for route"));
      }
    }
  }

  private void kvData(Request r, KvMount mount, String path) throws IOException {
    KvEntry entry = mount.entries.get(path);
    switch (r.method()) {
      case "GET" -> {
        if (!allowed(r, Capability.READ)) {
          return;
        }
        count("kv.read");
        kvRead(r, entry);
      }
      case "POST", "PUT" -> {
        // KV v2's existence check: a path with metadata is updated, any other created.
        if (!allowed(r, entry == null ? Capability.CREATE : Capability.UPDATE)) {
          return;
        }
        count("kv.write");
        kvWrite(r, mount, path, entry);
      }
      case "DELETE" -> {
        if (!allowed(r, Capability.DELETE)) {
          return;
        }
        count("kv.delete");
        if (entry != null && entry.currentVersion > 0) {
          KvVersion current = entry.versions.get(entry.currentVersion);
          if (current != null && current.deletionTime == null) {
            current.deletionTime = clock.instant();
          }
        }
        respond(r.exchange(), 204, null);
      }
      default -> respond(r.exchange(), 405, errors("unsupported operation"));
    }
  }

  private void kvRead(Request r, KvEntry entry) throws IOException {
    if (entry == null) {
      respond(r.exchange(), 404, errors());
      return;
    }
    int wanted = r.query().containsKey("version") ? Integer.parseInt(r.query().get("version")) : 0;
    if (wanted <= 0) {
      wanted = entry.currentVersion;
    }
    KvVersion version = entry.versions.get(wanted);
    if (version == null) {
      respond(r.exchange(), 404, errors());
      return;
    }
    ObjectNode data = NODES.objectNode();
    data.putNull("data");
    data.set("metadata", versionMetadata(wanted, version, entry));
    boolean deleted = version.deletionTime != null && version.deletionTime.isBefore(clock.instant());
    if (deleted || version.destroyed) {
      respond(r.exchange(), 404, envelope(data, null, List.of())); // metadata, no data
      return;
    }
    data.set("data", version.data);
    respond(r.exchange(), 200, envelope(data, null, List.of()));
  }

  private void kvWrite(Request r, KvMount mount, String path, KvEntry existing)
      throws IOException {
    JsonNode values = r.body().path("data");
    if (!values.isObject()) {
      respond(r.exchange(), 400, errors("no data provided"));
      return;
    }
    int current = existing == null ? 0 : existing.currentVersion;
    JsonNode cas = r.body().path("options").path("cas");
    if (!cas.isMissingNode() && !cas.isNull()) {
      if (cas.asInt() != current) {
        // Nothing is created or changed: the error comes before any write.
        respond(r.exchange(), 400, errors("check-and-set parameter did not match the current version"));
        return;
      }
    } else if (existing != null && existing.casRequired) {
      respond(r.exchange(), 400, errors("check-and-set parameter required for this call"));
      return;
    }
    Instant now = clock.instant();
    KvEntry entry = existing;
    if (entry == null) {
      entry = new KvEntry();
      entry.created = now;
      mount.entries.put(path, entry);
    }
    int number = entry.currentVersion + 1;
    Duration after = effective(mount.deleteVersionAfter, entry.deleteVersionAfter);
    KvVersion stored = new KvVersion(now, after.isZero() ? null : now.plus(after),
        (ObjectNode) values.deepCopy());
    entry.versions.put(number, stored);
    entry.currentVersion = number;
    entry.updated = now;
    int keep = entry.maxVersions > 0 ? entry.maxVersions : mount.maxVersions;
    while (entry.versions.size() > keep) {
      entry.versions.pollFirstEntry();
    }
    respond(r.exchange(), 200, envelope(versionMetadata(number, stored, entry), null, List.of()));
  }

  /** deletionTime's rule: the smaller non-zero of the mount's and the key's setting. */
  private static Duration effective(Duration mount, Duration key) {
    if (key.isZero()) {
      return mount;
    }
    return mount.isZero() || key.compareTo(mount) < 0 ? key : mount;
  }

  private void kvMetadata(Request r, KvMount mount, String path) throws IOException {
    boolean list = r.method().equals("LIST")
        || r.method().equals("GET") && "true".equals(r.query().get("list"));
    if (list) {
      if (allowed(r, Capability.LIST)) {
        count("kv.list");
        kvList(r, mount, path);
      }
      return;
    }
    KvEntry entry = mount.entries.get(path);
    switch (r.method()) {
      case "GET" -> {
        if (!allowed(r, Capability.READ)) {
          return;
        }
        count("kv.metadata");
        if (entry == null) {
          respond(r.exchange(), 404, errors());
          return;
        }
        respond(r.exchange(), 200, envelope(metadataBody(entry), null, List.of()));
      }
      case "POST", "PUT" -> {
        if (!allowed(r, entry == null ? Capability.CREATE : Capability.UPDATE)) {
          return;
        }
        count("kv.metadata-write");
        kvMetadataWrite(r, mount, path, entry);
      }
      case "DELETE" -> {
        if (allowed(r, Capability.DELETE)) {
          count("kv.metadata-delete");
          mount.entries.remove(path);
          respond(r.exchange(), 204, null);
        }
      }
      default -> respond(r.exchange(), 405, errors("unsupported operation"));
    }
  }

  private void kvMetadataWrite(Request r, KvMount mount, String path, KvEntry existing)
      throws IOException {
    JsonNode body = r.body();
    Map<String, String> custom = null;
    if (body.has("custom_metadata")) {
      JsonNode raw = body.path("custom_metadata");
      if (!raw.isObject()) {
        respond(r.exchange(), 400, errors("custom_metadata validation failed: expected a map"));
        return;
      }
      custom = new TreeMap<>();
      List<String> problems = new ArrayList<>();
      if (raw.size() > 64) {
        problems.add("custom_metadata validation failed: payload must contain at most 64 keys,"
            + " provided " + raw.size());
      } else {
        Map<String, String> values = new LinkedHashMap<>();
        raw.fields().forEachRemaining(e -> values.put(e.getKey(), e.getValue().asText()));
        for (Map.Entry<String, String> e : values.entrySet()) {
          int keyLength = e.getKey().getBytes(StandardCharsets.UTF_8).length;
          int valueLength = e.getValue().getBytes(StandardCharsets.UTF_8).length;
          if (keyLength == 0 || keyLength > 128) {
            problems.add("custom_metadata validation failed: length of key \"" + e.getKey()
                + "\" is " + keyLength + " but must be 0 < len(key) <= 128");
          }
          if (valueLength == 0 || valueLength > 512) {
            problems.add("custom_metadata validation failed: length of value for key \""
                + e.getKey() + "\" is " + valueLength + " but must be 0 < len(value) <= 512");
          }
        }
        custom.putAll(values);
      }
      if (!problems.isEmpty()) {
        respond(r.exchange(), 400, errors(problems.size() + " error"
            + (problems.size() == 1 ? "" : "s") + " occurred:\n\t* "
            + String.join("\n\t* ", problems) + "\n\n"));
        return;
      }
    }
    Instant now = clock.instant();
    KvEntry entry = existing;
    if (entry == null) {
      entry = new KvEntry();
      entry.created = now;
      mount.entries.put(path, entry);
    }
    if (custom != null) {
      entry.custom = custom;
    }
    if (body.has("max_versions")) {
      entry.maxVersions = body.path("max_versions").asInt();
    }
    if (body.has("cas_required")) {
      entry.casRequired = body.path("cas_required").asBoolean();
    }
    if (body.has("delete_version_after")) {
      entry.deleteVersionAfter = parseDuration(body.path("delete_version_after"));
    }
    entry.updated = now;
    respond(r.exchange(), 204, null);
  }

  private ObjectNode metadataBody(KvEntry entry) {
    ObjectNode data = NODES.objectNode();
    data.put("cas_required", entry.casRequired);
    data.put("created_time", entry.created.toString());
    data.put("current_version", entry.currentVersion);
    data.set("custom_metadata", entry.custom.isEmpty() ? NODES.nullNode()
        : JSON.valueToTree(entry.custom));
    data.put("delete_version_after", entry.deleteVersionAfter.isZero() ? "0s"
        : human(entry.deleteVersionAfter));
    data.put("max_versions", entry.maxVersions);
    data.put("oldest_version", entry.versions.isEmpty() ? 0 : entry.versions.firstKey());
    data.put("updated_time", entry.updated.toString());
    ObjectNode versions = data.putObject("versions");
    entry.versions.forEach((n, v) -> {
      ObjectNode info = versions.putObject(Integer.toString(n));
      info.put("created_time", v.created.toString());
      info.put("deletion_time", v.deletionTime == null ? "" : v.deletionTime.toString());
      info.put("destroyed", v.destroyed);
    });
    return data;
  }

  private void kvList(Request r, KvMount mount, String key) throws IOException {
    String folder = key.isEmpty() || key.endsWith("/") ? key : key + "/";
    TreeSet<String> names = new TreeSet<>();
    for (String path : mount.entries.keySet()) {
      if (path.startsWith(folder)) {
        String rest = path.substring(folder.length());
        int slash = rest.indexOf('/');
        names.add(slash < 0 ? rest : rest.substring(0, slash + 1));
      }
    }
    if (names.isEmpty()) {
      respond(r.exchange(), 404, errors());
      return;
    }
    ArrayNode keys = NODES.arrayNode();
    names.forEach(keys::add);
    ObjectNode data = NODES.objectNode();
    data.set("keys", keys);
    respond(r.exchange(), 200, envelope(data, null, List.of()));
  }

  private static ObjectNode versionMetadata(int number, KvVersion version, KvEntry entry) {
    ObjectNode metadata = NODES.objectNode();
    metadata.put("created_time", version.created.toString());
    metadata.set("custom_metadata", entry.custom.isEmpty() ? NODES.nullNode()
        : JSON.valueToTree(entry.custom));
    metadata.put("deletion_time", version.deletionTime == null ? ""
        : version.deletionTime.toString());
    metadata.put("destroyed", version.destroyed);
    metadata.put("version", number);
    return metadata;
  }

  // ---- Transit ----

  private void transit(Request r, Map<String, TransitKey> keys, String operation, String path)
      throws IOException {
    synchronized (this) {
      switch (operation) {
        case "encrypt" -> transitEncrypt(r, keys, path);
        case "decrypt" -> {
          if (method(r, "POST", "PUT") && allowed(r, Capability.UPDATE)) {
            transitDecrypt(r, keys.get(path));
          }
        }
        case "keys" -> transitKeys(r, keys, path);
        default -> respond(r.exchange(), 404, errors("no handler for route \"" + r.path() + "\""));
      }
    }
  }

  /** Encrypt has an existence check: an unknown key makes it a create (an upsert). */
  private void transitEncrypt(Request r, Map<String, TransitKey> keys, String name)
      throws IOException {
    if (!method(r, "POST", "PUT")) {
      return;
    }
    TransitKey key = keys.get(name);
    if (!allowed(r, key == null ? Capability.CREATE : Capability.UPDATE)) {
      return;
    }
    count("transit.encrypt");
    if (!r.body().hasNonNull("plaintext")) {
      respond(r.exchange(), 400, errors("missing plaintext to encrypt"));
      return;
    }
    if (key == null) {
      key = new TransitKey(); // upsert: an aes256-gcm96 key, as Vault creates by default
      key.versions.add(newKey());
      keys.put(name, key);
    }
    int version = key.versions.size();
    try {
      byte[] plaintext = Base64.getDecoder().decode(r.body().path("plaintext").asText());
      ObjectNode data = NODES.objectNode();
      data.put("ciphertext", "vault:v" + version + ":" + Base64.getEncoder().encodeToString(
          gcm(Cipher.ENCRYPT_MODE, key.versions.get(version - 1), plaintext,
              associatedData(r.body()))));
      data.put("key_version", version);
      respond(r.exchange(), 200, envelope(data, null, List.of()));
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      respond(r.exchange(), 400, errors("failed to encrypt: " + e.getClass().getSimpleName()));
    }
  }

  private void transitDecrypt(Request r, TransitKey key) throws IOException {
    count("transit.decrypt");
    if (key == null) {
      respond(r.exchange(), 400, errors("encryption key not found"));
      return;
    }
    String ciphertext = r.body().path("ciphertext").asText("");
    if (ciphertext.isEmpty()) {
      respond(r.exchange(), 400, errors("missing ciphertext to decrypt"));
      return;
    }
    String[] fields = ciphertext.split(":", 3);
    if (fields.length != 3 || !fields[0].equals("vault") || !fields[1].startsWith("v")) {
      respond(r.exchange(), 400, errors("invalid ciphertext: no prefix"));
      return;
    }
    int version;
    try {
      version = Integer.parseInt(fields[1].substring(1));
    } catch (NumberFormatException e) {
      respond(r.exchange(), 400, errors("invalid ciphertext: version number could not be decoded"));
      return;
    }
    if (version > key.versions.size()) {
      respond(r.exchange(), 400, errors("invalid ciphertext: version is too new"));
      return;
    }
    if (version < key.minDecryptionVersion) {
      respond(r.exchange(), 400,
          errors("ciphertext or signature version is disallowed by policy (too old)"));
      return;
    }
    try {
      byte[] plaintext = gcm(Cipher.DECRYPT_MODE, key.versions.get(Math.max(1, version) - 1),
          Base64.getDecoder().decode(fields[2]), associatedData(r.body()));
      ObjectNode data = NODES.objectNode();
      data.put("plaintext", Base64.getEncoder().encodeToString(plaintext));
      respond(r.exchange(), 200, envelope(data, null, List.of()));
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      respond(r.exchange(), 400, errors("cipher: message authentication failed"));
    }
  }

  private void transitKeys(Request r, Map<String, TransitKey> keys, String path)
      throws IOException {
    if (path.endsWith("/rotate")) {
      String name = path.substring(0, path.length() - "/rotate".length());
      if (method(r, "POST", "PUT") && allowed(r, Capability.UPDATE)) {
        count("transit.rotate");
        TransitKey key = keys.get(name);
        if (key == null) {
          respond(r.exchange(), 400, errors("key not found"));
          return;
        }
        key.versions.add(newKey());
        respond(r.exchange(), 200, envelope(keyPolicy(name, key), null, List.of()));
      }
      return;
    }
    if (path.endsWith("/config")) {
      String name = path.substring(0, path.length() - "/config".length());
      if (method(r, "POST", "PUT") && allowed(r, Capability.UPDATE)) {
        TransitKey key = keys.get(name);
        if (key == null) {
          respond(r.exchange(), 400, errors("no existing key named " + name + " could be found"));
          return;
        }
        int min = r.body().path("min_decryption_version").asInt(key.minDecryptionVersion);
        if (min > key.versions.size()) {
          respond(r.exchange(), 400, errors("cannot set min decryption version of " + min
              + ", latest key version is " + key.versions.size()));
          return;
        }
        key.minDecryptionVersion = Math.max(1, min);
        respond(r.exchange(), 200, envelope(keyPolicy(name, key), null, List.of()));
      }
      return;
    }
    TransitKey key = keys.get(path);
    switch (r.method()) {
      case "GET" -> {
        if (allowed(r, Capability.READ)) {
          if (key == null) {
            respond(r.exchange(), 404, errors());
          } else {
            respond(r.exchange(), 200, envelope(keyPolicy(path, key), null, List.of()));
          }
        }
      }
      case "POST", "PUT" -> {
        if (allowed(r, key == null ? Capability.CREATE : Capability.UPDATE)) {
          if (key == null) {
            key = new TransitKey();
            key.versions.add(newKey());
            keys.put(path, key);
          }
          respond(r.exchange(), 200, envelope(keyPolicy(path, key), null, List.of()));
        }
      }
      default -> respond(r.exchange(), 405, errors("unsupported operation"));
    }
  }

  private ObjectNode keyPolicy(String name, TransitKey key) {
    ObjectNode data = NODES.objectNode();
    data.put("name", name);
    data.put("type", "aes256-gcm96");
    data.put("derived", false);
    data.put("deletion_allowed", false);
    data.put("exportable", false);
    data.put("latest_version", key.versions.size());
    data.put("min_available_version", 0);
    data.put("min_decryption_version", key.minDecryptionVersion);
    data.put("min_encryption_version", key.minEncryptionVersion);
    data.put("supports_encryption", true);
    data.put("supports_decryption", true);
    data.put("supports_signing", false);
    data.put("supports_derivation", true);
    ObjectNode versions = data.putObject("keys");
    for (int i = 1; i <= key.versions.size(); i++) {
      versions.put(Integer.toString(i), clock.instant().getEpochSecond());
    }
    return data;
  }

  private static byte[] associatedData(JsonNode body) {
    return body.hasNonNull("associated_data")
        ? Base64.getDecoder().decode(body.path("associated_data").asText()) : new byte[0];
  }

  private byte[] gcm(int mode, byte[] key, byte[] input, byte[] associatedData)
      throws GeneralSecurityException {
    Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
    if (mode == Cipher.ENCRYPT_MODE) {
      byte[] nonce = new byte[12];
      random.nextBytes(nonce);
      cipher.init(mode, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, nonce));
      cipher.updateAAD(associatedData);
      byte[] sealedBytes = cipher.doFinal(input);
      return ByteBuffer.allocate(12 + sealedBytes.length).put(nonce).put(sealedBytes).array();
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
  private static ObjectNode envelope(JsonNode data, JsonNode auth, List<String> warnings) {
    ObjectNode body = NODES.objectNode();
    body.put("request_id", UUID.randomUUID().toString());
    body.put("lease_id", "");
    body.put("renewable", false);
    body.put("lease_duration", 0);
    body.set("data", data == null ? NODES.nullNode() : data);
    body.putNull("wrap_info");
    if (warnings.isEmpty()) {
      body.putNull("warnings");
    } else {
      ArrayNode list = body.putArray("warnings");
      warnings.forEach(list::add);
    }
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
    Map<String, String> out = new HashMap<>();
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

  private static Instant min(Instant a, Instant b) {
    return b == null || a.isBefore(b) ? a : b;
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
