package dev.keyward.proxy.budget;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyward.proxy.Keyward;
import dev.keyward.proxy.dev.FakeProvider;
import dev.keyward.proxy.testing.Agent;
import dev.keyward.proxy.testing.AuditCapture;
import dev.keyward.proxy.testing.Secrets;
import dev.keyward.proxy.testing.TestInstallation;
import dev.keyward.vault.Injection;
import dev.keyward.vault.MutableClock;
import dev.keyward.vault.Secret;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Budgets on the real request path, with the embedded store, against the built-in fake provider:
 * what is admitted, what is refused and how, and a stream that passes its reservation.
 */
class BudgetEndToEndTest {

  static final String KEY = "sk-budget-e2e-0123456789abcdef012345";

  @TempDir
  Path dir;

  Vertx vertx;
  FakeProvider provider;
  TestInstallation installation;
  Keyward keyward;
  Agent agent;
  AuditCapture audit;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    Secrets.register(KEY);
    provider = FakeProvider.startAndWait(vertx,
        Secret.copyOf(KEY.getBytes(StandardCharsets.US_ASCII)));
    installation = new TestInstallation(dir).policy("""
        credentials:
          - id: fake
            allowed_domains: ["127.0.0.1"]
            allowed_ports: [%1$d]
            allow_insecure_http: true
            allow_addresses: ["127.0.0.1/32"]
        routes:
          - name: openai
            upstream: http://127.0.0.1:%1$d/v1
            credential: fake
            api: openai
          - name: short
            upstream: http://127.0.0.1:%1$d/v1
            credential: fake
            api: openai
            max_output_tokens: 4
        grants:
          - tenants: [acme, poor, busy]
            credentials: [fake]
        budgets:
          - name: acme-daily
            scope: tenant
            tenants: [acme]
            usd: 5.00
            period: daily
          - name: poor-daily
            scope: tenant
            tenants: [poor]
            usd: 0.001
            period: daily
          - name: busy-rate
            scope: agent
            tenants: [busy]
            requests_per_minute: 2
        """.formatted(provider.port()))
        .config("""
            pricing:
              models:
                gpt-5-mini: {input: 0.25, output: 2.00, cached_input: 0.025}
            """);
    for (String tenant : List.of("acme", "poor", "busy")) {
      installation.putCredential(tenant, "fake", KEY, List.of("127.0.0.1"), Injection.bearer());
    }
    // Frozen: the rate test's requests never straddle a minute.
    keyward = installation.start(new MutableClock(Instant.now()));
    agent = new Agent(keyward.port());
    audit = new AuditCapture(dir);
  }

  @AfterEach
  void stop() throws Exception {
    keyward.close();
    provider.close();
    vertx.close();
  }

  String token(String tenant) throws Exception {
    return installation.token("agent-1", tenant).token();
  }

  static String chat(String model, boolean stream, String text) {
    return new JsonObject().put("model", model).put("stream", stream)
        .put("messages", new JsonArray().add(new JsonObject().put("role", "user")
            .put("content", text))).encode();
  }

  static JsonObject error(HttpResponse<String> response) {
    return new JsonObject(response.body()).getJsonObject("error");
  }

  JsonObject auditOf(HttpResponse<String> response) throws Exception {
    return audit.forRequest(response.headers().firstValue("x-request-id").orElseThrow());
  }

  @Test
  void aCallWithinItsBudgetIsServed() throws Exception {
    HttpResponse<String> response = agent.post("/r/openai/chat/completions", token("acme"),
        chat("gpt-5-mini", false, "Say hi"));
    assertEquals(200, response.statusCode(), response.body());
    assertEquals("allowed", auditOf(response).getString("decision"));
  }

  @Test
  void aCallWhoseWorstCasePassesTheLimitIs429BudgetExceededAndNeverReachesTheUpstream()
      throws Exception {
    HttpResponse<String> response = agent.post("/r/openai/chat/completions", token("poor"),
        chat("gpt-5-mini", false, "Say hi"));
    assertEquals(429, response.statusCode(), response.body());
    assertEquals("budget_exceeded", error(response).getString("code"));
    String message = error(response).getString("message");
    assertTrue(message.contains("poor-daily") && message.contains("tenant:poor"), message);
    long retryAfter = Long.parseLong(response.headers().firstValue("retry-after").orElseThrow());
    assertTrue(retryAfter >= 1 && retryAfter <= 86_400, "Retry-After " + retryAfter);
    assertTrue(provider.received().isEmpty());
    JsonObject record = auditOf(response);
    assertEquals("denied", record.getString("decision"));
    assertEquals("budget_exceeded", record.getString("code"));
    assertEquals("poor-daily", record.getString("rule"));
  }

  @Test
  void theThirdRequestInAMinuteOfARateOfTwoIs429RateLimited() throws Exception {
    String token = token("busy");
    for (int i = 0; i < 2; i++) {
      assertEquals(200, agent.post("/r/openai/chat/completions", token,
          chat("gpt-5-mini", false, "Say hi")).statusCode());
    }
    HttpResponse<String> third = agent.post("/r/openai/chat/completions", token,
        chat("gpt-5-mini", false, "Say hi"));
    assertEquals(429, third.statusCode(), third.body());
    assertEquals("rate_limited", error(third).getString("code"));
    long retryAfter = Long.parseLong(third.headers().firstValue("retry-after").orElseThrow());
    assertTrue(retryAfter >= 1 && retryAfter <= 60, "Retry-After " + retryAfter);
    assertEquals(2, provider.received().size());
  }

  @Test
  void aStreamThatPassesItsReservedOutputEndsWithAnErrorEvent() throws Exception {
    HttpResponse<String> response = agent.post("/r/short/chat/completions", token("acme"),
        chat("gpt-5-mini", true, "Tell me a long story about a proxy that counted every token"
            + " it carried, and never let one slip past its budget"));
    assertEquals(200, response.statusCode(), response.body());
    String body = response.body();
    assertTrue(body.contains("\"code\":\"budget_exceeded\""), body);
    assertFalse(body.contains("[DONE]"), body);
    assertTrue(body.endsWith("\n\n"), body);
    JsonObject record = auditOf(response);
    assertEquals("failed", record.getString("decision")); // the key was used: not a denial
    assertEquals("budget_exceeded", record.getString("code"));
    JsonObject usage = record.getJsonObject("usage");
    assertTrue(usage.getBoolean("estimated"), usage.encode());
    assertTrue(usage.getLong("output_tokens") > 4, usage.encode());
  }

  @Test
  void aStreamThatSetsItsOwnMaxTokensIsNotStoppedByKeyward() throws Exception {
    String request = new JsonObject(chat("gpt-5-mini", true, "Tell me a long story about a"
        + " proxy that counted every token it carried")).put("max_tokens", 6).encode();
    HttpResponse<String> response = agent.post("/r/short/chat/completions", token("acme"),
        request);
    assertEquals(200, response.statusCode(), response.body());
    assertTrue(response.body().contains("[DONE]"), response.body());
    assertFalse(response.body().contains("budget_exceeded"), response.body());
  }

  @Test
  void aBudgetAddedByAPolicyReloadIsEnforcedByAStoreOpenedThen() throws Exception {
    String policy = Files.readString(dir.resolve("policy.yaml"));
    keyward.close();
    installation.policy(policy.substring(0, policy.indexOf("budgets:")));
    keyward = installation.start(new MutableClock(Instant.now()));
    agent = new Agent(keyward.port());
    installation.policy(policy.replace("tenants: [poor]", "tenants: [acme]"));
    assertTrue(keyward.reloadPolicy().changed());
    HttpResponse<String> response = agent.post("/r/openai/chat/completions", token("acme"),
        chat("gpt-5-mini", false, "Say hi"));
    assertEquals(429, response.statusCode(), response.body());
    assertTrue(error(response).getString("message").contains("poor-daily"));
  }
}
