package dev.keyward.proxy.datapath;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyward.proxy.testing.ProxyHarness;
import dev.keyward.proxy.testing.RawHttp;
import dev.keyward.proxy.testing.RecordingUpstream;
import dev.keyward.proxy.testing.TestTls;
import io.vertx.core.http.HttpVersion;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Connections: kept alive to agents, pooled to upstreams, HTTP/2 where the upstream offers it. */
class ConnectionsTest {

  @TempDir
  Path dir;

  static String request(String token, String connection) {
    return "POST /r/local/chat HTTP/1.1\r\nHost: keyward\r\nAuthorization: Bearer " + token
        + "\r\nContent-Length: 2\r\nConnection: " + connection + "\r\n\r\n{}";
  }

  @Test
  void oneAgentConnectionServesSeveralRequests() throws Exception {
    try (ProxyHarness proxy = ProxyHarness.start(dir, ProxyHarness.options());
        RawHttp agent = new RawHttp(proxy.port())) {
      String token = proxy.token();
      agent.write(request(token, "keep-alive")).write(request(token, "keep-alive"))
          .write(request(token, "close"));
      String responses = agent.readAll();
      assertEquals(3, responses.split("HTTP/1.1 200", -1).length - 1, responses);
      assertEquals(3, proxy.upstream().received().size());
    }
  }

  @Test
  void successiveRequestsReuseThePooledUpstreamConnection() throws Exception {
    try (ProxyHarness proxy = ProxyHarness.start(dir, ProxyHarness.options())) {
      String token = proxy.token();
      for (int i = 0; i < 5; i++) {
        assertEquals(200, proxy.agent().post("/r/local/chat", token, "{}").statusCode());
      }
      assertEquals(1, proxy.upstream().received().stream()
          .map(RecordingUpstream.Received::connection).distinct().count(),
          "successive requests opened new upstream connections");
    }
  }

  @Test
  void aTlsUpstreamThatOffersHttp2GetsHttp2() throws Exception {
    TestTls tls = TestTls.selfSigned(dir, "localhost", "127.0.0.1");
    try (ProxyHarness proxy = ProxyHarness.start(dir, ProxyHarness.options().https(tls, true))) {
      assertEquals(200, proxy.agent().post("/r/local/chat", proxy.token(), "{}").statusCode());
      assertEquals(HttpVersion.HTTP_2, proxy.upstream().only().version());
    }
  }

  @Test
  void aTlsUpstreamWithoutHttp2GetsHttp11() throws Exception {
    TestTls tls = TestTls.selfSigned(dir, "localhost", "127.0.0.1");
    try (ProxyHarness proxy = ProxyHarness.start(dir, ProxyHarness.options().https(tls, false))) {
      assertEquals(200, proxy.agent().post("/r/local/chat", proxy.token(), "{}").statusCode());
      assertEquals(HttpVersion.HTTP_1_1, proxy.upstream().only().version());
    }
  }

  @Test
  void anUpstreamCertificateForAnotherHostIsRefused() throws Exception {
    TestTls wrongHost = TestTls.selfSigned(dir, "not-localhost.example", "127.0.0.2");
    try (ProxyHarness proxy = ProxyHarness.start(dir, ProxyHarness.options().https(wrongHost, false))) {
      var response = proxy.agent().post("/r/local/chat", proxy.token(), "{}");
      assertEquals(502, response.statusCode());
      assertTrue(response.body().contains("upstream_tls_error"), response.body());
      assertTrue(proxy.upstream().received().isEmpty());
    }
  }
}
