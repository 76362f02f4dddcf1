package dev.keyward.proxy.budget;

import static dev.keyward.proxy.budget.FakeLlmTestbed.chat;
import static dev.keyward.proxy.budget.UsageReader.nanoUsd;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyward.proxy.Keyward;
import dev.keyward.proxy.testing.Agent;
import dev.keyward.proxy.testing.AuditCapture;
import dev.keyward.proxy.testing.RecordingUpstream;
import dev.keyward.proxy.testing.TestInstallation;
import dev.keyward.token.Role;
import dev.keyward.vault.MutableClock;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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
 * what is admitted, what is refused and how (each refusal audited), and what each call is
 * charged: its metered cost, streamed or not, and an estimate for a stream that was cut or
 * stopped.
 */
class BudgetEndToEndTest {

  @TempDir
  Path dir;

  FakeLlmTestbed testbed;
  RecordingUpstream flaky;
  TestInstallation installation;
  Keyward keyward;
  Agent agent;
  AuditCapture audit;
  UsageReader usage;

  @BeforeEach
  void start() throws Exception {
    testbed = new FakeLlmTestbed();
    flaky = RecordingUpstream.http(testbed.vertx);
    installation = testbed.installation(dir, List.of("acme", "poor", "busy"),
        testbed.route("short", "    max_output_tokens: 4\n") + """
          - name: flaky
            upstream: http://127.0.0.1:%d/v1
            credential: fake
            api: openai
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
        """.formatted(flaky.port()), "", flaky.port());
    // Frozen: the rate test's requests never straddle a minute.
    keyward = installation.start(new MutableClock(Instant.now()));
    agent = new Agent(keyward.port());
    audit = new AuditCapture(dir);
    usage = new UsageReader(keyward, installation.operatorToken("arthur", Role.AUDITOR).token());
  }

  @AfterEach
  void stop() throws Exception {
    keyward.close();
    flaky.close();
    testbed.close();
  }

  String token(String tenant) throws Exception {
    return installation.token("agent-1", tenant).token();
  }

  static JsonObject error(HttpResponse<String> response) {
    return new JsonObject(response.body()).getJsonObject("error");
  }

  JsonObject auditOf(HttpResponse<?> response) throws Exception {
    return audit.forRequest(response.headers().firstValue("x-request-id").orElseThrow());
  }

  /** What the call's audit record says it cost, in nano-dollars. */
  long costOf(HttpResponse<?> response) throws Exception {
    return nanoUsd(auditOf(response).getJsonObject("usage").getValue("cost_usd"));
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
    assertTrue(testbed.provider.received().isEmpty());
    JsonObject record = auditOf(response);
    assertEquals("denied", record.getString("decision"));
    assertEquals("budget_exceeded", record.getString("code"));
    assertEquals("poor-daily", record.getString("rule"));
  }

  @Test
  void theThirdRequestInAMinuteOfARateOfTwoIs429RateLimitedAndAudited() throws Exception {
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
    assertEquals(2, testbed.provider.received().size());
    JsonObject record = auditOf(third);
    assertEquals("denied", record.getString("decision"));
    assertEquals("rate_limited", record.getString("code"));
    assertEquals("busy-rate", record.getString("rule"));
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
    JsonObject metered = record.getJsonObject("usage");
    assertTrue(metered.getBoolean("estimated"), metered.encode());
    assertTrue(metered.getLong("output_tokens") > 4, metered.encode());
  }

  @Test
  void aStreamStoppedPastItsReservationIsChargedItsEstimate() throws Exception {
    HttpResponse<String> response = agent.post("/r/short/chat/completions", token("acme"),
        chat("gpt-5-mini", true, "Tell me a long story about a proxy that stopped a stream"));
    assertTrue(response.body().contains("\"code\":\"budget_exceeded\""), response.body());
    long cost = costOf(response);
    assertTrue(cost > 0, "an estimate, never free");
    assertEquals(cost, nanoUsd(usage.settled("acme-daily", "tenant:acme").getValue("spent_usd")));
  }

  @Test
  void aStreamedCallIsChargedItsMeteredCostNotZero() throws Exception {
    HttpResponse<String> response = agent.post("/r/openai/chat/completions", token("acme"),
        chat("gpt-5-mini", true, "Say hi in a stream"));
    assertEquals(200, response.statusCode(), response.body());
    assertTrue(response.body().contains("[DONE]"), response.body());
    JsonObject metered = auditOf(response).getJsonObject("usage");
    assertFalse(metered.getBoolean("estimated"), metered.encode());
    long cost = costOf(response);
    assertTrue(cost > 0, metered.encode());
    assertEquals(cost, nanoUsd(usage.settled("acme-daily", "tenant:acme").getValue("spent_usd")));
  }

  /** The upstream cuts the stream before it reported usage: the estimate is what is charged. */
  @Test
  void aStreamCutByTheUpstreamIsChargedAnEstimateNeverZero() throws Exception {
    flaky.cutStreamsBeforeUsage(testbed.vertx);
    HttpResponse<InputStream> response = agent.sendStreaming(agent
        .request("/r/flaky/chat/completions").header("Authorization", "Bearer " + token("acme"))
        .POST(HttpRequest.BodyPublishers.ofString(chat("gpt-5-mini", true, "Say hi"))));
    assertThrows(IOException.class, () -> response.body().readAllBytes());
    JsonObject metered = auditOf(response).getJsonObject("usage");
    assertTrue(metered.getBoolean("estimated"), metered.encode());
    long cost = costOf(response);
    assertTrue(cost > 0, metered.encode());
    assertEquals(cost, nanoUsd(usage.settled("acme-daily", "tenant:acme").getValue("spent_usd")));
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
