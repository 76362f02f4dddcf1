package dev.keyward.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyward.proxy.testing.Agent;
import dev.keyward.proxy.testing.RecordingUpstream;
import dev.keyward.proxy.testing.TestInstallation;
import dev.keyward.proxy.testing.TestTls;
import dev.keyward.vault.Injection;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hot path end to end: the real server on an ephemeral port, a local HTTPS upstream with a
 * certificate made in the test and trusted through config, real tokens and sealed credentials.
 */
class ProxyEndToEndTest {

  static final String REAL_KEY = "sk-or-v1-e2e-0123456789abcdef0123456789abcdef";
  static final String BODY = "{\"model\":\"openai/gpt-4o-mini\",\"messages\":[]}";

  @TempDir
  Path dir;

  Vertx vertx;
  RecordingUpstream upstream;
  TestInstallation installation;
  Keyward keyward;
  Agent agent;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    TestTls tls = TestTls.selfSigned(dir, "localhost", "127.0.0.1");
    upstream = RecordingUpstream.https(vertx, tls);
    installation = new TestInstallation(dir).trust(tls).policy("""
        credentials:
          - id: openrouter
            allowed_domains: ["localhost"]
            allowed_ports: [%d]
            allow_addresses: ["127.0.0.1/32", "::1/128"]
        routes:
          - name: openrouter
            upstream: https://localhost:%d/api/v1
            credential: openrouter
        grants:
          - tenants: [acme]
            credentials: [openrouter]
        """.formatted(upstream.port(), upstream.port()));
    keyward = installation.start();
    agent = new Agent(keyward.port());
  }

  @AfterEach
  void stop() throws Exception {
    keyward.close();
    upstream.close();
    vertx.close();
  }

  @Test
  void injectsTheRealKeyAndTheUpstreamNeverSeesThePlatformToken() throws Exception {
    installation.putCredential("acme", "openrouter", REAL_KEY, List.of("localhost"), Injection.bearer());
    String agentSecret = installation.agents().create("agent-1", "acme", Set.of(), "test",
        Instant.now()).secret();
    String token = agent.exchange("agent-1", agentSecret);

    HttpResponse<String> response = agent.post("/r/openrouter/chat/completions", token, BODY);

    assertEquals(200, response.statusCode(), response.body());
    RecordingUpstream.Received received = upstream.only();
    assertEquals("/api/v1/chat/completions", received.uri());
    assertEquals("Bearer " + REAL_KEY, received.headers().get("Authorization"));
    assertEquals(1, received.headers().getAll("Authorization").size());
    assertEquals(BODY, received.body().toString());
    assertFalse(received.everything().contains(token), "the upstream saw the platform token");
    assertFalse(received.everything().contains(token.substring(token.lastIndexOf('.') + 1)));
    String agentSaw = Agent.everything(response);
    assertFalse(agentSaw.contains(REAL_KEY), "the agent saw the real key");
    assertFalse(agentSaw.contains(token), "the response echoed the platform token");
    assertFalse(received.everything().contains(agentSecret), "the upstream saw the agent secret");
  }

  @Test
  void requestWithoutATokenIsRefusedWith401JsonAndNeverReachesTheUpstream() throws Exception {
    installation.putCredential("acme", "openrouter", REAL_KEY, List.of("localhost"), Injection.bearer());

    HttpResponse<String> response = agent.post("/r/openrouter/chat/completions", null, BODY);

    assertEquals(401, response.statusCode());
    JsonObject error = new JsonObject(response.body()).getJsonObject("error");
    assertEquals("missing_token", error.getString("code"));
    assertFalse(error.getString("request_id").isEmpty());
    assertEquals(error.getString("request_id"), response.headers().firstValue("X-Request-Id").orElse(""));
    assertTrue(upstream.received().isEmpty());
  }

  @Test
  void routeWhoseHostIsOutsideTheCredentialsAllowedDomainsIsRefusedWith403() throws Exception {
    installation.putCredential("acme", "openrouter", REAL_KEY, List.of("*.openrouter.ai"),
        Injection.bearer());
    String token = installation.token("agent-1", "acme").token();

    HttpResponse<String> response = agent.post("/r/openrouter/chat/completions", token, BODY);

    assertEquals(403, response.statusCode());
    assertEquals("credential_domain_mismatch",
        new JsonObject(response.body()).getJsonObject("error").getString("code"));
    assertFalse(response.body().contains(REAL_KEY));
    assertTrue(upstream.received().isEmpty());
  }

  @Test
  void agentOfAnUngrantedTenantIsRefusedWith403() throws Exception {
    installation.putCredential("globex", "openrouter", REAL_KEY, List.of("localhost"),
        Injection.bearer());
    String token = installation.token("agent-1", "globex").token();

    HttpResponse<String> response = agent.post("/r/openrouter/chat/completions", token, BODY);

    assertEquals(403, response.statusCode());
    assertEquals("no_grant", new JsonObject(response.body()).getJsonObject("error").getString("code"));
    assertTrue(upstream.received().isEmpty());
  }

  @Test
  void tenantWithoutAStoredKeyGets404CredentialNotFound() throws Exception {
    String token = installation.token("agent-1", "acme").token();

    HttpResponse<String> response = agent.post("/r/openrouter/chat/completions", token, BODY);

    assertEquals(404, response.statusCode());
    assertEquals("credential_not_found",
        new JsonObject(response.body()).getJsonObject("error").getString("code"));
    assertTrue(upstream.received().isEmpty());
  }

  @Test
  void unknownRouteIs404() throws Exception {
    String token = installation.token("agent-1", "acme").token();
    HttpResponse<String> response = agent.post("/r/nope/chat", token, BODY);
    assertEquals(404, response.statusCode());
    assertEquals("unknown_route", new JsonObject(response.body()).getJsonObject("error").getString("code"));
  }
}
