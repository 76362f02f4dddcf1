package dev.keyward.proxy.datapath;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyward.proxy.testing.ProxyHarness;
import dev.keyward.proxy.testing.RawHttp;
import dev.keyward.proxy.testing.RecordingUpstream;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which headers cross the proxy, in both directions. */
class HeaderHygieneTest {

  @TempDir
  Path dir;

  static String request(int port, String token, String... extraHeaders) {
    return "POST /r/local/chat HTTP/1.1\r\n"
        + "Host: 127.0.0.1:" + port + "\r\n"
        + "Authorization: Bearer " + token + "\r\n"
        + String.join("", List.of(extraHeaders).stream().map(h -> h + "\r\n").toList())
        + "Content-Type: application/json\r\n"
        + "Content-Length: 2\r\n"
        + "Connection: close\r\n"
        + "\r\n{}";
  }

  @Test
  void hopByHopCredentialsNetworkAndKeywardHeadersNeverReachTheUpstream() throws Exception {
    try (ProxyHarness proxy = ProxyHarness.start(dir, ProxyHarness.options());
        RawHttp agent = new RawHttp(proxy.port())) {
      String response = agent.write(request(proxy.port(), proxy.token(),
          "Proxy-Authorization: Basic YWdlbnQ6cHc=",
          "Connection: X-Hop-Listed",
          "X-Hop-Listed: gone",
          "Keep-Alive: timeout=5",
          "TE: trailers",
          "Forwarded: for=203.0.113.7",
          "X-Forwarded-For: 203.0.113.7",
          "X-Forwarded-Host: agent.internal",
          "X-Real-IP: 203.0.113.7",
          "Via: 1.1 agent-sidecar",
          "Keyward-Credential: other",
          "X-Keyward-Debug: 1",
          "X-Request-Id: agent-trace-000123",
          "X-Custom: kept")).readAll();
      assertTrue(response.startsWith("HTTP/1.1 200"), response);
      RecordingUpstream.Received received = proxy.upstream().only();
      for (String name : List.of("Proxy-Authorization", "X-Hop-Listed", "Keep-Alive", "TE",
          "Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Real-IP", "Via",
          "Keyward-Credential", "X-Keyward-Debug")) {
        assertNull(received.headers().get(name), name + " reached the upstream");
      }
      assertEquals("Bearer " + ProxyHarness.KEY, received.headers().get("Authorization"));
      assertEquals("kept", received.headers().get("X-Custom"));
      assertEquals("agent-trace-000123", received.headers().get("X-Request-Id"));
      assertEquals("127.0.0.1:" + proxy.upstream().port(), received.host());
      assertTrue(response.contains("X-Request-Id: agent-trace-000123"), response);
    }
  }

  @Test
  void anInvalidRequestIdIsReplacedWithAFreshOne() throws Exception {
    try (ProxyHarness proxy = ProxyHarness.start(dir, ProxyHarness.options());
        RawHttp agent = new RawHttp(proxy.port())) {
      agent.write(request(proxy.port(), proxy.token(), "X-Request-Id: bad id; DROP")).readAll();
      String id = proxy.upstream().only().headers().get("X-Request-Id");
      assertTrue(id.startsWith("kw-"), id);
    }
  }

  @Test
  void theAgentsNetworkHeadersPassOnlyWhenConfigured() throws Exception {
    try (ProxyHarness proxy = ProxyHarness.start(dir, ProxyHarness.options()
        .config("upstream:\n  forward_agent_network: true\n"));
        RawHttp agent = new RawHttp(proxy.port())) {
      agent.write(request(proxy.port(), proxy.token(), "X-Forwarded-For: 203.0.113.7")).readAll();
      assertEquals("203.0.113.7", proxy.upstream().only().headers().get("X-Forwarded-For"));
    }
  }

  @Test
  void hopByHopHeadersFromTheUpstreamNeverReachTheAgent() throws Exception {
    try (ProxyHarness proxy = ProxyHarness.start(dir, ProxyHarness.options());
        RawHttp agent = new RawHttp(proxy.port())) {
      proxy.upstream().respondWith(request -> request.response()
          .putHeader("Connection", "X-Upstream-Hop")
          .putHeader("X-Upstream-Hop", "secret-ish")
          .putHeader("Keep-Alive", "timeout=99")
          .putHeader("X-Upstream-Kept", "yes")
          .end("{}"));
      String response = agent.write(request(proxy.port(), proxy.token())).readAll();
      assertFalse(response.contains("X-Upstream-Hop"), response);
      assertFalse(response.contains("timeout=99"), response);
      assertTrue(response.contains("X-Upstream-Kept: yes"), response);
    }
  }

  @Test
  void theAgentCannotPickAnotherCredentialForARoute() throws Exception {
    try (ProxyHarness proxy = ProxyHarness.start(dir, ProxyHarness.options());
        RawHttp agent = new RawHttp(proxy.port())) {
      agent.write(request(proxy.port(), proxy.token(), "Keyward-Credential: someone-elses"))
          .readAll();
      assertNotEquals(null, proxy.upstream().only());
      assertEquals("Bearer " + ProxyHarness.KEY,
          proxy.upstream().only().headers().get("Authorization"));
    }
  }
}
