package dev.keyward.proxy.datapath;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.http.HttpServerRequest;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import dev.keyward.proxy.testing.ProxyHarness;
import dev.keyward.proxy.testing.RawHttp;
import dev.keyward.proxy.testing.RecordingUpstream;
import dev.keyward.proxy.testing.TestTls;
import io.vertx.core.http.HttpVersion;
import java.time.Duration;
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

  /**
   * A streamed LLM call holds its upstream connection for as long as it streams: hundreds of
   * agents streaming at once through one HTTP/1.1 upstream each need a connection of their own,
   * rather than waiting for one until the connect timeout refuses them.
   */
  @Test
  void hundredsOfCallsHeldOpenAtOnceAllReachTheUpstream() throws Exception {
    int calls = 200;
    List<HttpServerRequest> held = new CopyOnWriteArrayList<>();
    CountDownLatch arrived = new CountDownLatch(calls);
    try (ProxyHarness proxy = ProxyHarness.start(dir, ProxyHarness.options()
        .config("upstream:\n  connect_timeout: 60s\n"))) {
      proxy.upstream().respondWith(request -> {
        held.add(request);
        arrived.countDown();
      });
      HttpClient agents = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
      for (int i = 0; i < calls; i++) {
        answers.add(agents.sendAsync(proxy.agent().request("/r/local/chat")
            .header("Authorization", "Bearer " + proxy.token()).timeout(Duration.ofMinutes(2))
            .POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
            HttpResponse.BodyHandlers.ofString()));
      }
      boolean all = arrived.await(60, TimeUnit.SECONDS);
      held.forEach(request -> request.response().end("{}"));
      assertTrue(all, (calls - arrived.getCount()) + " of " + calls
          + " calls reached the upstream at once");
      for (CompletableFuture<HttpResponse<String>> answer : answers) {
        assertEquals(200, answer.get(60, TimeUnit.SECONDS).statusCode());
      }
    }
  }
}
