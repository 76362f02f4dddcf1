package dev.keyward.proxy.forwardproxy;

import static dev.keyward.proxy.testing.ForwardProxyHarness.API;
import static dev.keyward.proxy.testing.ForwardProxyHarness.GIT;
import static dev.keyward.proxy.testing.ForwardProxyHarness.GIT_KEY;
import static dev.keyward.proxy.testing.ForwardProxyHarness.KEY;
import static dev.keyward.proxy.testing.ForwardProxyHarness.OTHER;
import static dev.keyward.proxy.testing.ForwardProxyHarness.PLAIN;
import static dev.keyward.proxy.testing.ForwardProxyHarness.PLAIN_KEY;
import static dev.keyward.proxy.testing.ForwardProxyHarness.TUNNELLED;
import static dev.keyward.proxy.testing.ForwardProxyHarness.UNLISTED;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyward.proxy.testing.AuditCapture;
import dev.keyward.proxy.testing.ForwardProxyHarness;
import dev.keyward.proxy.testing.ProxyClient;
import dev.keyward.proxy.testing.RecordingUpstream;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
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
 * token; the SNI, CONNECT and Host agreement; and no key back to the agent, even echoed.
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
  }

  private ProxyClient.Response get(String host, String serverName, Map<String, String> headers)
      throws Exception {
    return client.https(host + ":443", ProxyClient.basic(proxy.token()), proxy.clientTls(),
        serverName, "GET", "/v1/user", headers);
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
}
