package dev.keyward.proxy.admin;

import dev.keyward.proxy.config.Durations;
import dev.keyward.token.Purpose;
import dev.keyward.token.Role;
import dev.keyward.vault.CredentialSpec;
import dev.keyward.vault.InsecureSecretAccess;
import dev.keyward.vault.LoopbackHosts;
import dev.keyward.vault.Secret;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Optional;
import java.util.Set;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * {@link Operations} over the admin API: what the CLI uses with {@code --admin-url}. Blocking. The
 * operator token goes in the Authorization header only; a secret being stored goes in the request
 * body only, and the bytes holding it are zeroed after sending.
 */
public final class AdminClient implements Operations {

  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);

  private final URI base;
  private final String token;
  private final HttpClient http;

  /**
   * @param base e.g. {@code https://keyward-admin.internal:8081}
   * @param caFile PEM CA certificates to trust for an HTTPS admin API (default: the JDK's)
   */
  public AdminClient(URI base, String token, Optional<Path> caFile) throws IOException,
      GeneralSecurityException {
    this(base, token, caFile, false);
  }

  /**
   * @param insecure accept a plain {@code http://} URL of a host other than loopback (the operator
   *     token and secrets then cross the network in the clear)
   */

  public AdminClient(URI base, String token, Optional<Path> caFile, boolean insecure)
      throws IOException, GeneralSecurityException {
    String scheme = base.getScheme();
    if (!"http".equals(scheme) && !"https".equals(scheme) || base.getHost() == null) {
      throw new IllegalArgumentException("the admin URL must be http(s)://host:port, not " + base);
    }
    if ("http".equals(scheme) && !insecure && !LoopbackHosts.isLoopback(base.getHost())) {
      throw new IllegalArgumentException("the admin URL " + base + " is plain HTTP: the operator"
          + " token and any secret being stored would cross the network in the clear; use"
          + " https:// (with --admin-ca for a private CA), or pass --insecure to accept that"
          + " (plain HTTP to a loopback address needs no option)");
    }
    this.base = base;
    this.token = token;
    HttpClient.Builder builder = HttpClient.newBuilder()
        .connectTimeout(CONNECT_TIMEOUT)
        .followRedirects(HttpClient.Redirect.NEVER);
    if (caFile.isPresent()) {
      builder.sslContext(trusting(caFile.get()));
    }
    this.http = builder.build();
  }

  @Override
  public JsonObject createCredential(CredentialSpec spec, Secret secret, String actor)
      throws OperationException {
    return object(send("POST", "/v1/credentials", withSecret(CredentialJson.toRequest(spec),
        secret)));
  }

  @Override
  public JsonObject rotateCredential(String tenant, String id, Secret secret, String actor)
      throws OperationException {
    return object(send("POST", credential(tenant, id) + "/rotate",
        withSecret(new JsonObject(), secret)));
  }

  @Override
  public JsonObject rollbackCredential(String tenant, String id, int version, String actor)
      throws OperationException {
    return object(send("POST", credential(tenant, id) + "/rollback",
        json(new JsonObject().put("to_version", version))));
  }

  @Override
  public JsonArray listCredentials(Optional<String> tenant) throws OperationException {
    return array(send("GET", "/v1/credentials" + tenant.map(t -> "?tenant=" + encode(t))
        .orElse(""), null));
  }

  @Override
  public JsonArray credentialHistory(String tenant, String id) throws OperationException {
    return array(send("GET", credential(tenant, id), null));
  }

  @Override
  public JsonObject setCredentialDisabled(String tenant, String id, boolean disabled,
      String actor) throws OperationException {
    return object(send("POST", credential(tenant, id) + (disabled ? "/disable" : "/enable"),
        null));
  }

  @Override
  public JsonObject destroyCredentialVersion(String tenant, String id, int version, String actor)
      throws OperationException {
    return object(send("DELETE", credential(tenant, id) + "/versions/" + version, null));
  }

  @Override
  public JsonObject createAgent(String id, String tenant, Set<String> groups, String actor)
      throws OperationException {
    return object(send("POST", "/v1/agents", json(new JsonObject().put("id", id)
        .put("tenant", tenant).put("groups", new JsonArray(groups.stream().sorted().toList())))));
  }

  @Override
  public JsonArray listAgents() throws OperationException {
    return array(send("GET", "/v1/agents", null));
  }

  @Override
  public JsonObject setAgentDisabled(String id, boolean disabled) throws OperationException {
    return object(send("POST", "/v1/agents/" + encode(id) + (disabled ? "/disable" : "/enable"),
        null));
  }

  @Override
  public JsonObject mintToken(String agent, String tenant, Set<String> groups,
      Optional<Purpose> purpose, Duration ttl) throws OperationException {
    JsonObject body = new JsonObject().put("agent", agent).put("tenant", tenant)
        .put("groups", new JsonArray(groups.stream().sorted().toList()))
        .put("ttl", Durations.format(ttl));
    purpose.ifPresent(p -> body.put("purpose", p.claim()));
    return object(send("POST", "/v1/tokens", json(body)));
  }

  @Override
  public JsonObject mintOperatorToken(String name, Role role, Duration ttl)
      throws OperationException {
    throw new OperationException(OperationError.INVALID_REQUEST, "operator tokens are minted"
        + " where the signing keys are, not over the admin API: run `keyward operator token`"
        + " with --config (without --admin-url)");
  }

  @Override
  public JsonObject revokeToken(String jti) throws OperationException {
    return object(send("POST", "/v1/tokens/revoke", json(new JsonObject().put("jti", jti))));
  }

  @Override
  public JsonObject rotateSigningKey() throws OperationException {
    return object(send("POST", "/v1/signing-keys/rotate", null));
  }

  @Override
  public JsonObject reloadPolicy() throws OperationException {
    return object(send("POST", "/v1/policy/reload", null));
  }

  @Override
  public JsonObject checkPolicy(String source, String yaml) throws OperationException {
    return object(send("POST", "/v1/policy/check", yaml.getBytes(StandardCharsets.UTF_8),
        "application/yaml"));
  }

  @Override
  public JsonArray queryAudit(AuditQuery query) throws OperationException {
    StringBuilder path = new StringBuilder("/v1/audit?since=")
        .append(encode(query.since().toString())).append("&limit=").append(query.limit());
    query.agent().ifPresent(a -> path.append("&agent=").append(encode(a)));
    query.credential().ifPresent(c -> path.append("&credential=").append(encode(c)));
    query.decision().ifPresent(d -> path.append("&decision=").append(encode(d)));
    return array(send("GET", path.toString(), null));
  }

  @Override
  public JsonArray auditReport(Instant since) throws OperationException {
    return array(send("GET", "/v1/audit/report?since=" + encode(since.toString()), null));
  }

  @Override
  public JsonObject budgetUsage(Optional<String> budget) throws OperationException {
    return object(send("GET", "/v1/budgets/usage" + budget.map(b -> "?budget=" + encode(b))
        .orElse(""), null));
  }

  private Object send(String method, String pathAndQuery, byte[] body) throws OperationException {
    return send(method, pathAndQuery, body, "application/json");
  }

  private Object send(String method, String pathAndQuery, byte[] body, String contentType)
      throws OperationException {
    HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(pathAndQuery))
        .timeout(REQUEST_TIMEOUT)
        .header("Authorization", "Bearer " + token)
        .header("Accept", "application/json");
    if (body == null) {
      request.method(method, HttpRequest.BodyPublishers.noBody());
    } else {
      request.header("Content-Type", contentType)
          .method(method, HttpRequest.BodyPublishers.ofByteArray(body));
    }
    HttpResponse<String> response;
    try {
      response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new OperationException(OperationError.ADMIN_UNREACHABLE, "cannot reach the admin API"
          + " at " + base + ": " + (e.getMessage() == null ? e.getClass().getSimpleName()
          : e.getMessage()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new OperationException(OperationError.ADMIN_UNREACHABLE, "interrupted");
    } finally {
      if (body != null) {
        Arrays.fill(body, (byte) 0);
      }
    }
    Object parsed;
    try {
      parsed = io.vertx.core.json.Json.decodeValue(response.body());
    } catch (DecodeException e) {
      throw new OperationException(OperationError.ADMIN_UNREACHABLE, "the admin API at " + base
          + " answered " + response.statusCode() + " with something other than JSON");
    }
    if (response.statusCode() / 100 == 2) {
      return parsed;
    }
    JsonObject error = parsed instanceof JsonObject o ? o.getJsonObject("error") : null;
    if (error == null) {
      throw new OperationException(OperationError.ADMIN_UNREACHABLE, "the admin API answered "
          + response.statusCode());
    }
    throw new OperationException(response.statusCode(), error.getString("code", "unknown"),
        error.getString("message", "") + " (" + error.getString("code") + ")");
  }

  private static byte[] withSecret(JsonObject body, Secret secret) {
    // The secret enters a String here (JSON encoding); it is the one copy, dropped after sending.
    return body.put("secret", secret.text(InsecureSecretAccess.get())).toBuffer().getBytes();
  }

  private static byte[] json(JsonObject body) {
    return body.toBuffer().getBytes();
  }

  private static JsonObject object(Object result) throws OperationException {
    if (result instanceof JsonObject object) {
      return object;
    }
    throw new OperationException(OperationError.ADMIN_UNREACHABLE,
        "the admin API answered an unexpected document");
  }

  private static JsonArray array(Object result) throws OperationException {
    if (result instanceof JsonArray array) {
      return array;
    }
    throw new OperationException(OperationError.ADMIN_UNREACHABLE,
        "the admin API answered an unexpected document");
  }

  private static String credential(String tenant, String id) {
    return "/v1/credentials/" + encode(tenant) + "/" + encode(id);
  }

  private static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private static SSLContext trusting(Path caFile) throws IOException, GeneralSecurityException {
    KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
    trust.load(null, null);
    try (InputStream in = Files.newInputStream(caFile)) {
      int n = 0;
      for (Certificate cert : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        trust.setCertificateEntry("ca-" + n++, cert);
      }
      if (n == 0) {
        throw new GeneralSecurityException("no certificate in " + caFile);
      }
    }
    TrustManagerFactory factory =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    factory.init(trust);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, factory.getTrustManagers(), null);
    return context;
  }
}
