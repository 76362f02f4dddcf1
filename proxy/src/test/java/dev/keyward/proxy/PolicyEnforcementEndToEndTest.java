package dev.keyward.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyward.proxy.testing.Agent;
import dev.keyward.proxy.testing.AuditCapture;
import dev.keyward.proxy.testing.RecordingUpstream;
import dev.keyward.proxy.testing.TestInstallation;
import dev.keyward.proxy.testing.TestTls;
import dev.keyward.vault.Injection;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The policy as the proxy applies it: deny codes, report mode, explicit targets, the SSRF guard
 * at forward time (with a resolver an attacker controls), redirects, and hot reload.
 */
class PolicyEnforcementEndToEndTest {

  static final String KEY = "sk-policy-e2e-0123456789abcdef";

  @TempDir
  Path dir;

  Vertx vertx;
  TestTls tls;
  RecordingUpstream upstream;
  TestInstallation installation;
  Keyward keyward;
  Agent agent;
  AuditCapture audit;
  /** What upstream host names resolve to, as an attacker-controlled DNS server would answer. */
  volatile InetAddress[] dnsAnswer;
  final AtomicInteger lookups = new AtomicInteger();

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    tls = TestTls.selfSigned(dir, "localhost", "api.example.test", "127.0.0.1");
    upstream = RecordingUpstream.https(vertx, tls);
    audit = new AuditCapture(dir);
    dnsAnswer = new InetAddress[] {InetAddress.getByName("127.0.0.1")};
    installation = new TestInstallation(dir).trust(tls).policy(policy(""));
    for (String id : List.of("local", "example", "chat", "trial")) {
      installation.putCredential("acme", id, KEY, List.of("localhost", "api.example.test"),
          Injection.bearer());
    }
    keyward = Keyward.start(installation.configuration(), Clock.systemUTC(), host -> {
      lookups.incrementAndGet();
      return dnsAnswer;
    });
    agent = new Agent(keyward.port());
  }

  String policy(String extraGrant) {
    int port = upstream.port();
    return """
        credentials:
          - id: local
            allowed_domains: ["localhost"]
            allowed_ports: [%1$d]
            allow_addresses: ["127.0.0.1/32"]
          - id: example
            allowed_domains: ["api.example.test"]
            allowed_ports: [%1$d]
            allow_addresses: ["127.0.0.1/32"]
          - id: chat
            allowed_domains: ["localhost"]
            allowed_ports: [%1$d]
            allow_addresses: ["127.0.0.1/32"]
          - id: trial
            allowed_domains: ["localhost"]
            allowed_ports: [%1$d]
            allow_addresses: ["127.0.0.1/32"]
          - id: narrow
            allowed_domains: ["localhost"]
            allowed_ports: [%1$d]
            allow_addresses: ["127.0.0.1/32"]
        routes:
          - name: local
            upstream: https://localhost:%1$d/v1
            credential: local
          - name: example
            upstream: https://api.example.test:%1$d/v1
            credential: example
          - name: chat
            upstream: https://localhost:%1$d/v1
            credential: chat
          - name: trial
            upstream: https://localhost:%1$d/v1
            credential: trial
          - name: narrow
            upstream: https://localhost:%1$d/v1
            credential: narrow
        grants:
          - name: acme-local
            tenants: [acme]
            credentials: [local, example, narrow]
          - name: acme-chat-post-only
            tenants: [acme]
            credentials: [chat]
            methods: [POST]
            paths: ["/v1/chat"]
          - name: acme-trial
            tenants: [acme]
            credentials: [trial]
            paths: ["/v1/models"]
            mode: report
        %2$s
        """.formatted(port, extraGrant);
  }

  @AfterEach
  void stop() {
    audit.close();
    keyward.close();
    vertx.close();
  }

  String token() throws Exception {
    return installation.token("agent-1", "acme").token();
  }

  static String code(HttpResponse<String> response) {
    return new JsonObject(response.body()).getJsonObject("error").getString("code");
  }

  static String requestId(HttpResponse<String> response) {
    return response.headers().firstValue("x-request-id").orElseThrow();
  }

  @Test
  void aMethodTheGrantDoesNotAllowIs403AndNeverReachesTheUpstream() throws Exception {
    HttpResponse<String> response = agent.send(agent.request("/r/chat/chat/completions")
        .header("Authorization", "Bearer " + token()).method("DELETE",
            HttpRequest.BodyPublishers.noBody()));
    assertEquals(403, response.statusCode());
    assertEquals("method_not_allowed", code(response));
    assertTrue(upstream.received().isEmpty());
  }

  @Test
  void aPathTheGrantDoesNotAllowIs403AndNeverReachesTheUpstream() throws Exception {
    HttpResponse<String> response = agent.post("/r/chat/embeddings", token(), "{}");
    assertEquals(403, response.statusCode());
    assertEquals("path_not_allowed", code(response));
    assertTrue(upstream.received().isEmpty());
  }

  @Test
  void anAmbiguousPathIs400BadPath() throws Exception {
    HttpResponse<String> response = agent.post("/r/chat/chat/%2e%2e/admin", token(), "{}");
    assertEquals(400, response.statusCode());
    assertEquals("bad_path", code(response));
    assertTrue(upstream.received().isEmpty());
  }

  @Test
  void reportModeLetsTheRequestThroughButAuditsWouldDeny() throws Exception {
    HttpResponse<String> response = agent.post("/r/trial/chat/completions", token(), "{}");
    assertEquals(200, response.statusCode());
    assertEquals(1, upstream.received().size());
    JsonObject record = audit.forRequest(requestId(response));
    assertEquals("would_deny", record.getString("decision"));
    assertEquals("path_not_allowed", record.getString("code"));
  }

  @Test
  void everyAuditRecordNamesTheReasonTheRuleAndThePolicyVersion() throws Exception {
    HttpResponse<String> allowed = agent.post("/r/local/chat", token(), "{}");
    JsonObject record = audit.forRequest(requestId(allowed));
    assertEquals("acme-local", record.getString("rule"));
    assertTrue(record.getString("reason").contains("acme-local"), record.encode());
    assertEquals(keyward.reloadPolicy().version(), record.getString("policy_version"));
  }

  /** A denial's reason may quote the path; the path may hold a token the agent put there. */
  @Test
  void aTokenInADeniedPathNeverReachesTheAuditReason() throws Exception {
    String token = token();
    HttpResponse<String> response = agent.post("/r/chat/v1/files/" + token, token, "{}");
    assertEquals("path_not_allowed", code(response));
    JsonObject record = audit.forRequest(requestId(response));
    assertFalse(record.encode().contains(token), record.encode());
    assertTrue(record.getString("reason").contains("[REDACTED]"), record.encode());
  }

  @Test
  void anSsrfRefusalIsAuditedAsADenialWithItsReason() throws Exception {
    dnsAnswer = new InetAddress[] {InetAddress.getByName("169.254.169.254")};
    HttpResponse<String> response = agent.post("/r/example/chat", token(), "{}");
    JsonObject record = audit.forRequest(requestId(response));
    assertEquals("denied", record.getString("decision"));
    assertEquals("address_not_allowed", record.getString("code"));
    assertTrue(record.getString("reason").contains("cloud_metadata"), record.encode());
  }

  @Test
  void aDisabledCredentialIsAuditedAsADenial() throws Exception {
    installation.credentials(store -> {
      store.setDisabled("acme", "local", true, "test");
      return null;
    });
    HttpResponse<String> response = agent.post("/r/local/chat", token(), "{}");
    assertEquals("credential_disabled", code(response));
    JsonObject record = audit.forRequest(requestId(response));
    assertEquals("denied", record.getString("decision"));
    assertEquals("credential_disabled", record.getString("code"));
    assertTrue(upstream.received().isEmpty());
  }

  @Test
  void aStoredKeysDomainMismatchIsADenialWhoseDetailOnlyTheAuditKeeps() throws Exception {
    installation.putCredential("acme", "narrow", KEY, List.of("api.example.test"),
        Injection.bearer()); // stored for api.example.test; the route sends it to localhost
    HttpResponse<String> response = agent.post("/r/narrow/chat", token(), "{}");
    assertEquals(403, response.statusCode());
    assertEquals("credential_domain_mismatch", code(response));
    assertFalse(response.body().contains("api.example.test"), response.body());
    JsonObject record = audit.forRequest(requestId(response));
    assertEquals("denied", record.getString("decision"));
    assertTrue(record.getString("reason").contains("api.example.test"), record.encode());
    assertTrue(upstream.received().isEmpty());
  }

  @Test
  void anExplicitTargetUsesTheOnlyGrantedCredentialForItsHost() throws Exception {
    HttpResponse<String> response = agent.post("/t/api.example.test:" + upstream.port()
        + "/v1/chat", token(), "{}");
    assertEquals(200, response.statusCode(), response.body());
    assertEquals("Bearer " + KEY, upstream.only().headers().get("Authorization"));
    assertEquals("example", audit.forRequest(requestId(response)).getString("credential"));
  }

  @Test
  void anExplicitTargetThatSeveralCredentialsCouldServeNeedsTheCredentialHeader() throws Exception {
    String path = "/t/localhost:" + upstream.port() + "/v1/chat";
    HttpResponse<String> ambiguous = agent.post(path, token(), "{}");
    assertEquals(400, ambiguous.statusCode());
    assertEquals("ambiguous_credential", code(ambiguous));

    HttpResponse<String> named = agent.send(agent.request(path)
        .header("Authorization", "Bearer " + token()).header("Keyward-Credential", "local")
        .POST(HttpRequest.BodyPublishers.ofString("{}")));
    assertEquals(200, named.statusCode(), named.body());
    assertFalse(upstream.only().headers().contains("Keyward-Credential"));
  }

  @Test
  void explicitTargetHostConfusionsAreRefused() throws Exception {
    String port = ":" + upstream.port();
    assertEquals("domain_not_allowed",
        code(agent.post("/t/api.example.test.evil.com" + port + "/v1", token(), "{}")));
    assertEquals("bad_target",
        code(agent.post("/t/api.example.test@evil.com" + port + "/v1", token(), "{}")));
    assertEquals("bad_target", code(agent.post("/t/2130706433" + port + "/v1", token(), "{}")));
    assertEquals("domain_not_allowed",
        code(agent.post("/t/127.0.0.1" + port + "/v1", token(), "{}")));
    assertTrue(upstream.received().isEmpty());
  }

  @Test
  void anUpstreamThatResolvesToAPrivateAddressIsRefused() throws Exception {
    dnsAnswer = new InetAddress[] {InetAddress.getByName("10.1.2.3")};
    HttpResponse<String> response = agent.post("/r/example/chat", token(), "{}");
    assertEquals(403, response.statusCode());
    assertEquals("address_not_allowed", code(response));
    assertTrue(response.body().contains("private"), response.body());
  }

  @Test
  void anUpstreamThatResolvesToTheCloudMetadataAddressIsRefused() throws Exception {
    dnsAnswer = new InetAddress[] {InetAddress.getByName("169.254.169.254")};
    HttpResponse<String> response = agent.post("/r/example/chat", token(), "{}");
    assertEquals("address_not_allowed", code(response));
    assertTrue(response.body().contains("cloud_metadata"), response.body());
  }

  /** A resolver may answer with IPv6 forms that embed a private IPv4 address. */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"::ffff:a9fe:a9fe", "::ffff:7f00:2", "64:ff9b::a9fe:a9fe",
      "2002:a9fe:a9fe::1", "::7f00:2"})
  void anUpstreamThatResolvesToAnEmbeddedPrivateIpv4AddressIsRefused(String ipv6)
      throws Exception {
    byte[] bytes = InetAddress.getByName(ipv6).getAddress();
    // The JDK parses a mapped literal into IPv4; a resolver can still answer the IPv6 form.
    dnsAnswer = new InetAddress[] {
        Inet6Address.getByAddress(null, bytes.length == 16 ? bytes : mapped(bytes), -1)};
    HttpResponse<String> response = agent.post("/r/example/chat", token(), "{}");
    assertEquals(403, response.statusCode());
    assertEquals("address_not_allowed", code(response));
    assertTrue(upstream.received().isEmpty());
  }

  static byte[] mapped(byte[] b) {
    return new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1, -1, b[0], b[1], b[2], b[3]};
  }

  @Test
  void anyDisallowedAddressAmongSeveralIsRefused() throws Exception {
    dnsAnswer = new InetAddress[] {InetAddress.getByName("127.0.0.1"),
        InetAddress.getByName("192.168.1.1")};
    assertEquals("address_not_allowed", code(agent.post("/r/local/chat", token(), "{}")));
    assertTrue(upstream.received().isEmpty());
  }

  @Test
  void theConnectionGoesToTheCheckedAddressWithoutASecondLookup() throws Exception {
    // DNS rebinding: the first answer passes the guard; any later answer points elsewhere.
    try (RecordingUpstream rebindTarget = RecordingUpstream.https(vertx, tls, "127.0.0.2",
        upstream.port())) {
      lookups.set(0);
      InetAddress checked = InetAddress.getByName("127.0.0.1");
      InetAddress rebound = InetAddress.getByName("127.0.0.2");
      keywardResolver(checked, rebound);
      HttpResponse<String> response = agent.post("/r/local/chat", token(), "{}");
      assertEquals(200, response.statusCode(), response.body());
      assertEquals(1, upstream.received().size());
      assertTrue(rebindTarget.received().isEmpty(), "the request followed the rebound address");
      assertEquals(1, lookups.get(), "the host was resolved more than once");
    }
  }

  /** Answers {@code first} to the first lookup and {@code later} to every one after. */
  void keywardResolver(InetAddress first, InetAddress later) {
    dnsAnswer = new InetAddress[] {first};
    Thread flip = new Thread(() -> {
      while (lookups.get() == 0) {
        Thread.onSpinWait();
      }
      dnsAnswer = new InetAddress[] {later};
    });
    flip.setDaemon(true);
    flip.start();
  }

  @Test
  void aRedirectGoesBackToTheAgentAndIsNeverFollowedWithTheKey() throws Exception {
    try (RecordingUpstream elsewhere = RecordingUpstream.http(vertx)) {
      upstream.respondWith(request -> request.response().setStatusCode(302)
          .putHeader("Location", "http://127.0.0.1:" + elsewhere.port() + "/steal").end());
      HttpResponse<String> response = agent.post("/r/local/chat", token(), "{}");
      assertEquals(302, response.statusCode());
      assertEquals("http://127.0.0.1:" + elsewhere.port() + "/steal",
          response.headers().firstValue("location").orElse(""));
      assertTrue(elsewhere.received().isEmpty(), "the redirect was followed");
    }
  }

  @Test
  void aChangedPolicyFileIsPickedUpAndAnInvalidOneKeepsTheOld() throws Exception {
    Path file = installation.dir().resolve("policy.yaml");
    String current = Files.readString(file);
    assertEquals(403, agent.post("/r/chat/other", token(), "{}").statusCode());

    Files.writeString(file, current.replace("paths: [\"/v1/chat\"]", "paths: [\"/v1\"]"));
    assertTrue(keyward.reloadPolicy().changed());
    assertEquals(200, agent.post("/r/chat/other", token(), "{}").statusCode());

    Files.writeString(file, current + "\nnot_a_field: true\n");
    PolicyReloader.Outcome failed = keyward.reloadPolicy();
    assertTrue(failed.failed());
    assertTrue(failed.problems().get(0).toString().contains("unknown field 'not_a_field'"));
    assertEquals(200, agent.post("/r/chat/other", token(), "{}").statusCode(), "old policy kept");
  }

  @Test
  void aRequestInFlightKeepsTheDecisionItGot() throws Exception {
    CompletableFuture<Void> release = new CompletableFuture<>();
    upstream.respondWith(request -> release.thenRun(() -> vertx.runOnContext(v ->
        request.response().end("{}"))));
    CompletableFuture<HttpResponse<String>> inFlight = CompletableFuture.supplyAsync(() -> {
      try {
        return agent.post("/r/local/chat", token(), "{}");
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    Awaitility.await("the request reached the upstream").atMost(Duration.ofSeconds(10))
        .until(() -> !upstream.received().isEmpty());
    Path file = installation.dir().resolve("policy.yaml");
    Files.writeString(file, Files.readString(file).replace("credentials: [local, example, narrow]",
        "credentials: [example, narrow]"));
    assertTrue(keyward.reloadPolicy().changed());
    release.complete(null);
    assertEquals(200, inFlight.get(10, TimeUnit.SECONDS).statusCode());
    assertEquals("no_grant", code(agent.post("/r/local/chat", token(), "{}")));
  }
}
