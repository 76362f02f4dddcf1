package dev.keyward.proxy.forwardproxy;

import static dev.keyward.proxy.testing.ForwardProxyHarness.API;
import static dev.keyward.proxy.testing.ForwardProxyHarness.FIRST_TARGET;
import static dev.keyward.proxy.testing.ForwardProxyHarness.GIT;
import static dev.keyward.proxy.testing.ForwardProxyHarness.GIT_KEY;
import static dev.keyward.proxy.testing.ForwardProxyHarness.KEY;
import static dev.keyward.proxy.testing.ForwardProxyHarness.LLM_KEY;
import static dev.keyward.proxy.testing.ForwardProxyHarness.OTHER;
import static dev.keyward.proxy.testing.ForwardProxyHarness.PLAIN;
import static dev.keyward.proxy.testing.ForwardProxyHarness.PLAIN_KEY;
import static dev.keyward.proxy.testing.ForwardProxyHarness.SECOND_TARGET;
import static dev.keyward.proxy.testing.ForwardProxyHarness.SLOW_TARGET;
import static dev.keyward.proxy.testing.ForwardProxyHarness.TUNNELLED;
import static dev.keyward.proxy.testing.ForwardProxyHarness.UNLISTED;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyward.proxy.dev.FakeProvider;
import dev.keyward.proxy.testing.Agent;
import dev.keyward.proxy.testing.AuditCapture;
import dev.keyward.proxy.testing.ForwardProxyHarness;
import dev.keyward.proxy.testing.ProxyClient;
import dev.keyward.proxy.testing.RecordingUpstream;
import dev.keyward.token.Role;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The forward proxy with a client at the byte level: placeholders swapped for the key only on
 * their credential's hosts, in every injection format; the policy's egress rules; the proxy
 * token; the SNI, CONNECT and Host agreement; no key back to the agent, even echoed; and calls
 * to the targets of a route with targets (route {@code chain}), each that route's call through
 * the target it names, whatever its place in the route and its base path: metered, budgeted,
 * and sent with the target's own model map and first-byte timeout.
 */
class ForwardProxyEndToEndTest {

  @TempDir
  static Path dir;

  static ForwardProxyHarness proxy;
  static ProxyClient client;

  @BeforeAll
  static void start() throws Exception {
    proxy = ForwardProxyHarness.start(dir);
    client = new ProxyClient(proxy.proxyPort());
  }

  @AfterAll
  static void stop() throws Exception {
    proxy.close();
  }

  @BeforeEach
  void forget() {
    proxy.upstream().received().clear();
    proxy.plainUpstream().received().clear();
    proxy.llm().forgetReceived();
  }

  private ProxyClient.Response get(String host, String serverName, Map<String, String> headers)
      throws Exception {
    return client.https(host + ":443", ProxyClient.basic(proxy.token()), proxy.clientTls(),
        serverName, "GET", "/v1/user", headers);
  }

  private static ProxyClient.Response chat(String host, String placeholder, String model,
      boolean stream) throws Exception {
    String body = new JsonObject().put("model", model).put("stream", stream)
        .put("messages", new JsonArray().add(new JsonObject().put("role", "user")
            .put("content", "Say hi"))).encode();
    String base = host.equals(FIRST_TARGET) ? "/api/v1" : "/v1"; // the targets' base paths
    return client.https(host + ":443", ProxyClient.basic(proxy.token()), proxy.clientTls(), host,
        "POST", base + "/chat/completions", Map.of("Authorization", "Bearer " + placeholder,
            "Content-Type", "application/json"), body);
  }

  private static JsonObject auditOf(ProxyClient.Response response) throws Exception {
    String id = response.headers().get("x-request-id");
    AuditCapture audit = proxy.audit();
    await().atMost(Duration.ofSeconds(10)).until(() -> audit.records().stream()
        .anyMatch(r -> id.equals(r.getString("request_id"))));
    return audit.forRequest(id);
  }

  @Test
  void aBearerPlaceholderIsSwappedForTheKeyOnItsOwnHost() throws Exception {
    ProxyClient.Response response = get(API, API,
        Map.of("Authorization", "Bearer " + proxy.apiPlaceholder()));
    assertEquals(200, response.status(), response.everything());
    RecordingUpstream.Received received = proxy.upstream().only();
    assertEquals("Bearer " + KEY, received.headers().get("Authorization"));
    assertEquals("/v1/user", received.uri());
    JsonObject audit = auditOf(response);
    assertEquals("allowed", audit.getString("decision"));
    assertEquals("api", audit.getString("credential"));
    assertEquals(1, audit.getInteger("credential_version"));
    assertEquals(API, audit.getString("target_host"));
  }

  @Test
  void theEchoedKeyNeverReachesTheAgent() throws Exception {
    ProxyClient.Response response = get(API, API,
        Map.of("Authorization", "Bearer " + proxy.apiPlaceholder()));
    assertFalse(response.everything().contains(KEY), response.everything());
    assertEquals("Bearer [REDACTED]", response.headers().get("x-echo-authorization"));
    assertTrue(response.body().contains("[REDACTED]"), response.body());
  }

  @Test
  void basicCredentialsCarryingAPlaceholderGetTheKeyInTheCredentialsFormat() throws Exception {
    String agentSent = Base64.getEncoder().encodeToString(("git:" + proxy.gitPlaceholder())
        .getBytes(StandardCharsets.UTF_8));
    ProxyClient.Response response = get(GIT, GIT, Map.of("Authorization", "Basic " + agentSent));
    List<String> got = proxy.git().authorizations();
    String upstreamGot = got.get(got.size() - 1);
    assertEquals("x-access-token:" + GIT_KEY, new String(Base64.getDecoder()
        .decode(upstreamGot.substring("Basic ".length())), StandardCharsets.UTF_8));
    assertFalse(response.everything().contains(upstreamGot.substring("Basic ".length())));
    assertFalse(response.everything().contains(GIT_KEY));
  }

  @Test
  void aPlaceholderSentToAnotherCredentialsHostIsRefusedAndAudited() throws Exception {
    ProxyClient.Response response = get(OTHER, OTHER,
        Map.of("Authorization", "Bearer " + proxy.apiPlaceholder()));
    assertEquals(403, response.status(), response.everything());
    assertEquals("placeholder_wrong_host",
        new JsonObject(response.body()).getJsonObject("error").getString("code"));
    assertTrue(proxy.upstream().received().isEmpty());
    JsonObject audit = auditOf(response);
    assertEquals("denied", audit.getString("decision"));
    assertEquals("api", audit.getString("credential"));
    assertEquals(OTHER, audit.getString("target_host"));
  }

  @Test
  void aPlaceholderInAPlainHttpRequestToAnotherHostIsRefused() throws Exception {
    ProxyClient.Response response = client.http("http://" + PLAIN + "/v1/steal?key="
        + proxy.apiPlaceholder(), ProxyClient.basic(proxy.token()), Map.of());
    assertEquals(403, response.status(), response.everything());
    assertTrue(response.body().contains("placeholder_wrong_host"), response.body());
    assertTrue(proxy.plainUpstream().received().isEmpty());
  }

  @Test
  void plainHttpSwapsThePlaceholderWhereTheCredentialAllowsHttp() throws Exception {
    ProxyClient.Response response = client.http("http://" + PLAIN + "/v1/user",
        ProxyClient.basic(proxy.token()),
        Map.of("Authorization", "Bearer " + proxy.plainPlaceholder()));
    assertEquals(200, response.status(), response.everything());
    assertEquals("Bearer " + PLAIN_KEY, proxy.plainUpstream().only().headers()
        .get("Authorization"));
    assertFalse(response.everything().contains(PLAIN_KEY));
  }

  @Test
  void plainHttpIsRefusedWhereNoCredentialAllowsIt() throws Exception {
    ProxyClient.Response response = client.http("http://" + API + "/v1/user",
        ProxyClient.basic(proxy.token()), Map.of());
    assertEquals(403, response.status(), response.everything());
    assertTrue(response.body().contains("egress_denied"), response.body());
  }

  @Test
  void aRequestWithoutAPlaceholderGoesWithoutAKey() throws Exception {
    ProxyClient.Response response = get(API, API, Map.of());
    assertEquals(200, response.status(), response.everything());
    assertEquals(null, proxy.upstream().only().headers().get("Authorization"));
    assertEquals("", auditOf(response).getString("credential"));
  }

  @Test
  void anUnlistedHostIsRefusedAtConnect() throws Exception {
    ProxyClient.Response response = get(UNLISTED, UNLISTED, Map.of());
    assertEquals(403, response.status(), response.everything());
    assertTrue(response.body().contains("egress_denied"), response.body());
    assertTrue(proxy.upstream().received().isEmpty());
    JsonObject audit = auditOf(response);
    assertEquals("CONNECT", audit.getString("method"));
    assertEquals(UNLISTED, audit.getString("target_host"));
  }

  @Test
  void anEgressHostIsTunnelledUntouchedAndAuditedWithItsBytes() throws Exception {
    String placeholder = proxy.apiPlaceholder();
    ProxyClient.Response response = get(TUNNELLED, TUNNELLED,
        Map.of("Authorization", "Bearer " + placeholder));
    assertEquals(200, response.status(), response.everything());
    // The upstream's own certificate answered, and the placeholder arrived as it was sent.
    assertEquals("Bearer " + placeholder, proxy.upstream().only().headers().get("Authorization"));
    AuditCapture audit = proxy.audit();
    await().atMost(Duration.ofSeconds(10)).until(() -> audit.records().stream()
        .anyMatch(r -> TUNNELLED.equals(r.getString("target_host"))));
    JsonObject record = audit.first(r -> TUNNELLED.equals(r.getString("target_host")));
    assertEquals("allowed", record.getString("decision"));
    assertTrue(record.getLong("bytes_in") > 0 && record.getLong("bytes_out") > 0,
        record.encode());
  }

  @Test
  void aTunnelOutlivesTheRequestHeaderTimeout() throws Exception {
    ProxyClient.Response response = client.https(API + ":443", ProxyClient.basic(proxy.token()),
        proxy.clientTls(), API, "GET", "/v1/user",
        Map.of("Authorization", "Bearer " + proxy.apiPlaceholder()),
        ForwardProxyHarness.HEADER_TIMEOUT.plusSeconds(1));
    assertEquals(200, response.status(), response.everything());
  }

  @Test
  void aMissingProxyTokenGets407WithAChallenge() throws Exception {
    ProxyClient.Response[] answer = new ProxyClient.Response[1];
    client.connect(API + ":443", null, answer).close();
    assertEquals(407, answer[0].status());
    assertEquals("Basic realm=\"keyward\"", answer[0].headers().get("proxy-authenticate"));
  }

  @Test
  void aWrongProxyTokenGets407() throws Exception {
    ProxyClient.Response[] answer = new ProxyClient.Response[1];
    client.connect(API + ":443", ProxyClient.basic("not-a-token"), answer).close();
    assertEquals(407, answer[0].status(), answer[0].everything());
    assertTrue(proxy.upstream().received().isEmpty());
  }

  @Test
  void aServerNameOtherThanTheConnectHostIsRefusedAndAudited() throws Exception {
    assertThrows(SSLHandshakeException.class, () -> get(API, OTHER,
        Map.of("Authorization", "Bearer " + proxy.apiPlaceholder())));
    assertTrue(proxy.upstream().received().isEmpty());
    AuditCapture audit = proxy.audit();
    await().atMost(Duration.ofSeconds(10)).until(() -> audit.records().stream()
        .anyMatch(r -> "host_mismatch".equals(r.getString("code"))));
    assertEquals(API, audit.first(r -> "host_mismatch".equals(r.getString("code")))
        .getString("target_host"));
  }

  @Test
  void aHostHeaderOtherThanTheConnectHostIsRefused() throws Exception {
    ProxyClient.Response response = get(API, API, Map.of("Host", OTHER,
        "Authorization", "Bearer " + proxy.apiPlaceholder()));
    assertEquals(403, response.status(), response.everything());
    assertTrue(response.body().contains("host_mismatch"), response.body());
    assertTrue(proxy.upstream().received().isEmpty());
    JsonObject audit = auditOf(response);
    assertEquals("host_mismatch", audit.getString("code"));
    assertEquals(API, audit.getString("target_host"));
  }

  @Test
  void aPathWithEmptySegmentsIsRefusedNotGuessedAt() throws Exception {
    for (String path : List.of("//v1/user", "/v1//user")) {
      ProxyClient.Response response = client.https(API + ":443",
          ProxyClient.basic(proxy.token()), proxy.clientTls(), API, "GET", path,
          Map.of("Authorization", "Bearer " + proxy.apiPlaceholder()));
      assertEquals(400, response.status(), response.everything());
      assertTrue(response.body().contains("bad_path"), response.body());
    }
    assertTrue(proxy.upstream().received().isEmpty());
  }

  @Test
  void aTlsHandshakeThatFailsInsideATunnelIsAudited() throws Exception {
    SSLContext trustsNothingOfOurs = SSLContext.getInstance("TLS");
    trustsNothingOfOurs.init(null, null, null); // the JDK's CAs only: not Keyward's
    assertThrows(SSLHandshakeException.class, () -> client.https(OTHER + ":443",
        ProxyClient.basic(proxy.token()), trustsNothingOfOurs, OTHER, "GET", "/v1/user",
        Map.of()));
    assertTrue(proxy.upstream().received().isEmpty());
    AuditCapture audit = proxy.audit();
    await().atMost(Duration.ofSeconds(10)).until(() -> audit.records().stream()
        .anyMatch(r -> "tls_handshake_failed".equals(r.getString("code"))));
    JsonObject record = audit.first(r -> "tls_handshake_failed".equals(r.getString("code")));
    assertEquals(OTHER, record.getString("target_host"));
    assertEquals("CONNECT", record.getString("method"));
    assertEquals("agent-1", record.getString("agent"));
  }

  @Test
  void aConnectRefusedForItsTokenIsAudited() throws Exception {
    ProxyClient.Response[] answer = new ProxyClient.Response[1];
    client.connect(UNLISTED + ":443", ProxyClient.basic("not-a-token"), answer).close();
    assertEquals(407, answer[0].status(), answer[0].everything());
    JsonObject audit = auditOf(answer[0]);
    assertEquals("CONNECT", audit.getString("method"));
    assertEquals("denied", audit.getString("decision"));
  }

  private static long nanoUsd(Object usd) {
    return new BigDecimal(usd.toString()).movePointRight(9).setScale(0).longValueExact();
  }

  /** The subject's row of the budget once nothing is held any more (the call was settled). */
  private static JsonObject settled(String budget, String subject) throws Exception {
    Agent admin = new Agent(proxy.keyward().adminPort());
    String token = proxy.installation().operatorToken("arthur", Role.AUDITOR).token();
    return await().atMost(Duration.ofSeconds(20)).until(() -> {
      HttpResponse<String> response = admin.get("/v1/budgets/usage", token);
      assertEquals(200, response.statusCode(), response.body());
      for (Object block : new JsonObject(response.body()).getJsonArray("budgets")) {
        JsonObject budgetBlock = (JsonObject) block;
        if (budgetBlock.getString("budget").equals(budget)) {
          for (Object row : budgetBlock.getJsonArray("subjects")) {
            if (((JsonObject) row).getString("subject").equals(subject)) {
              return Optional.of((JsonObject) row);
            }
          }
        }
      }
      return Optional.<JsonObject>empty();
    }, row -> row.isPresent() && nanoUsd(row.get().getValue("held_usd")) == 0).orElseThrow();
  }

  @Test
  void aStreamedCallToTheSecondTargetOfARouteIsMeteredAndChargedToItsBudget() throws Exception {
    ProxyClient.Response response = chat(SECOND_TARGET, proxy.secondPlaceholder(), "gpt-5-mini",
        true);
    assertEquals(200, response.status(), response.everything());
    assertTrue(response.body().contains("[DONE]"), response.body());
    assertFalse(response.everything().contains(LLM_KEY));
    JsonObject record = auditOf(response);
    assertEquals("chain", record.getString("route"), record.encode());
    assertEquals("second", record.getString("target"), record.encode());
    assertEquals("second", record.getString("credential"));
    JsonObject usage = record.getJsonObject("usage");
    assertNotNull(usage, record.encode());
    assertFalse(usage.getBoolean("estimated"), usage.encode());
    long cost = nanoUsd(usage.getValue("cost_usd"));
    assertTrue(cost > 0, usage.encode());
    assertEquals(cost, nanoUsd(settled("second-daily", "credential:second")
        .getValue("spent_usd")));
  }

  @Test
  void theFirstTargetsModelMapIsAppliedToACallThroughIt() throws Exception {
    ProxyClient.Response response = chat(FIRST_TARGET, proxy.firstPlaceholder(),
        "openai/gpt-5-mini", false);
    assertEquals(200, response.status(), response.everything());
    List<FakeProvider.Received> received = proxy.llm().received();
    assertEquals(1, received.size());
    assertEquals("gpt-5-mini", new JsonObject(received.get(0).body()).getString("model"));
    assertEquals("gpt-5-mini", response.headers().get("x-keyward-model"));
    JsonObject record = auditOf(response);
    assertEquals("chain", record.getString("route"));
    assertEquals("first", record.getString("target"));
  }

  @Test
  void aModelTheFirstTargetDoesNotServeIsRefused() throws Exception {
    ProxyClient.Response response = chat(FIRST_TARGET, proxy.firstPlaceholder(), "gpt-5-mini",
        false);
    assertEquals(403, response.status(), response.everything());
    assertEquals("model_not_allowed",
        new JsonObject(response.body()).getJsonObject("error").getString("code"));
    assertTrue(proxy.llm().received().isEmpty());
    JsonObject record = auditOf(response);
    assertEquals("denied", record.getString("decision"));
    assertEquals("model_not_allowed", record.getString("code"));
  }

  @Test
  void aCallThroughATargetWaitsOnlyItsFirstByteTimeout() throws Exception {
    // The configured first-byte timeout is 5 minutes, longer than the client waits.
    ProxyClient.Response response = chat(SLOW_TARGET, proxy.slowPlaceholder(), "gpt-5-mini",
        false);
    assertEquals(504, response.status(), response.everything());
    assertEquals("upstream_timeout",
        new JsonObject(response.body()).getJsonObject("error").getString("code"));
    assertEquals("chain", auditOf(response).getString("route"));
  }
}
