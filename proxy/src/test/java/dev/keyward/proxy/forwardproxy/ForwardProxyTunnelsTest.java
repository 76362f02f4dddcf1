package dev.keyward.proxy.forwardproxy;

import static dev.keyward.proxy.testing.ForwardProxyHarness.API;
import static dev.keyward.proxy.testing.ForwardProxyHarness.TUNNELLED;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyward.proxy.testing.Agent;
import dev.keyward.proxy.testing.AuditCapture;
import dev.keyward.proxy.testing.ForwardProxyHarness;
import dev.keyward.proxy.testing.ProxyClient;
import dev.keyward.vault.MutableClock;
import io.vertx.core.json.JsonObject;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tunnels over time, on a clock the test moves: the agent's token is checked again on every
 * request inside (revoked or expired mid-tunnel: refused); idle tunnels and old ones are closed;
 * and an agent, or everyone together, may hold only so many at once.
 */
class ForwardProxyTunnelsTest {

  static final Duration IDLE = Duration.ofHours(1);
  static final Duration LIFETIME = Duration.ofMinutes(90);

  @TempDir
  static Path dir;

  static MutableClock clock;
  static ForwardProxyHarness proxy;
  static ProxyClient client;

  @BeforeAll
  static void start() throws Exception {
    clock = new MutableClock(Instant.now());
    proxy = ForwardProxyHarness.start(dir, clock, String.join("\n",
        "  tunnel_idle_timeout: 1h",
        "  tunnel_max_lifetime: 90m",
        "  max_tunnels: 3",
        "  max_tunnels_per_agent: 2"));
    client = new ProxyClient(proxy.proxyPort());
    // The host's leaf certificate is issued now, while Keyward's time is still the clients'.
    try (ProxyClient.Session session = open(proxy.token())) {
      assertEquals(200, session.send("GET", "/v1/user", Map.of()).status());
    }
  }

  @AfterAll
  static void stop() throws Exception {
    proxy.close();
  }

  private static ProxyClient.Session open(String token) throws Exception {
    return client.open(API + ":443", ProxyClient.basic(token), proxy.clientTls(), API);
  }

  private static String code(ProxyClient.Response response) {
    return new JsonObject(response.body()).getJsonObject("error").getString("code");
  }

  /** Waits until every tunnel of the earlier tests is released. */
  private static void noTunnelsOpen() {
    Agent admin = new Agent(proxy.keyward().adminPort());
    await().atMost(Duration.ofSeconds(20)).until(() -> admin.get("/metrics", null).body()
        .lines().anyMatch(line -> line.matches("keyward_forward_proxy_tunnels(\\{.*})? 0(\\.0)?")));
  }

  @Test
  void aTokenRevokedMidTunnelRefusesTheTunnelsLaterRequests() throws Exception {
    String token = proxy.token();
    try (ProxyClient.Session session = open(token)) {
      assertEquals(200, session.send("GET", "/v1/user", Map.of()).status());
      proxy.installation().revocations().revokeToken(jtiOf(token), clock.instant());
      proxy.keyward().refreshTokenState();
      ProxyClient.Response refused = session.send("GET", "/v1/user", Map.of());
      assertEquals(401, refused.status(), refused.everything());
      assertEquals("token_revoked", code(refused));
    }
  }

  @Test
  void aTokenThatExpiresMidTunnelRefusesTheTunnelsLaterRequests() throws Exception {
    try (ProxyClient.Session session = open(proxy.token())) {
      assertEquals(200, session.send("GET", "/v1/user", Map.of()).status());
      clock.advance(Duration.ofMinutes(16)); // tokens live 15 minutes here
      ProxyClient.Response refused = session.send("GET", "/v1/user", Map.of());
      assertEquals(401, refused.status(), refused.everything());
      assertEquals("token_expired", code(refused));
    }
  }

  @Test
  void anIdleTunnelIsClosed() throws Exception {
    try (ProxyClient.Session session = open(proxy.token())) {
      assertEquals(200, session.send("GET", "/v1/user", Map.of()).status());
      clock.advance(IDLE.plusMinutes(1));
      assertTrue(session.closedByTheProxy());
    }
  }

  @Test
  void aBusyTunnelIsClosedAtItsMaximumLifetime() throws Exception {
    // Passed through untouched: bytes flow whatever the token's age.
    try (ProxyClient.Session session = client.open(TUNNELLED + ":443",
        ProxyClient.basic(proxy.token()), proxy.clientTls(), TUNNELLED)) {
      clock.advance(LIFETIME.minusMinutes(40));
      assertEquals(200, session.send("GET", "/x", Map.of()).status());
      clock.advance(Duration.ofMinutes(41)); // idle for 41 minutes only, open for 91
      assertTrue(session.closedByTheProxy());
    }
  }

  @Test
  void connectsPastTheAgentsCapOrTheTotalCapAreRefused() throws Exception {
    noTunnelsOpen();
    List<Socket> held = new ArrayList<>();
    try {
      String first = proxy.token("agent-1");
      for (int i = 0; i < 2; i++) {
        ProxyClient.Response[] answer = new ProxyClient.Response[1];
        held.add(client.connect(API + ":443", ProxyClient.basic(first), answer));
        assertEquals(200, answer[0].status(), answer[0].everything());
      }
      ProxyClient.Response[] third = new ProxyClient.Response[1];
      held.add(client.connect(API + ":443", ProxyClient.basic(first), third));
      assertEquals(429, third[0].status(), third[0].everything());
      assertEquals("too_many_tunnels", code(third[0]));

      String second = proxy.token("agent-2");
      ProxyClient.Response[] another = new ProxyClient.Response[1];
      held.add(client.connect(API + ":443", ProxyClient.basic(second), another));
      assertEquals(200, another[0].status(), another[0].everything());
      ProxyClient.Response[] beyond = new ProxyClient.Response[1];
      held.add(client.connect(API + ":443", ProxyClient.basic(second), beyond));
      assertEquals(503, beyond[0].status(), beyond[0].everything());
      assertEquals("forward_proxy_busy", code(beyond[0]));

      String id = third[0].headers().get("x-request-id");
      AuditCapture audit = proxy.audit();
      await().atMost(Duration.ofSeconds(10)).until(() -> audit.records().stream()
          .anyMatch(r -> id.equals(r.getString("request_id"))));
      JsonObject record = audit.forRequest(id);
      assertEquals("too_many_tunnels", record.getString("code"));
      assertEquals(API, record.getString("target_host"));
    } finally {
      for (Socket socket : held) {
        socket.close();
      }
    }
  }

  private static String jtiOf(String token) {
    String payload = token.split("\\.")[1];
    return new JsonObject(new String(java.util.Base64.getUrlDecoder().decode(payload),
        java.nio.charset.StandardCharsets.UTF_8)).getString("jti");
  }
}
