package dev.keyward.proxy.datapath;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyward.proxy.testing.AuditCapture;
import dev.keyward.proxy.testing.ProxyHarness;
import dev.keyward.proxy.testing.RawHttp;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What one request may cost, and how the proxy answers when an upstream misbehaves. */
class LimitsAndTimeoutsTest {

  @TempDir
  Path dir;

  static String code(HttpResponse<String> response) {
    return new JsonObject(response.body()).getJsonObject("error").getString("code");
  }

  static String code(String rawResponse) {
    return new JsonObject(rawResponse.substring(rawResponse.indexOf("\r\n\r\n") + 4))
        .getJsonObject("error").getString("code");
  }

  @Test
  void headersLargerThanTheLimitGet431Json() throws Exception {
    try (ProxyHarness proxy = ProxyHarness.start(dir, ProxyHarness.options()
        .config("limits:\n  max_header_size: 16KiB\n"));
        RawHttp agent = new RawHttp(proxy.port())) {
      String response = agent.write("GET /r/local/x HTTP/1.1\r\nHost: x\r\nX-Big: "
          + "a".repeat(20_000) + "\r\n\r\n").readAll();
      assertTrue(response.startsWith("HTTP/1.1 431"), response);
      assertEquals("headers_too_large", code(response));
      assertTrue(proxy.upstream().received().isEmpty());
    }
  }

  @Test
  void aDeclaredBodyOverTheRoutesLimitGets413BeforeReachingTheUpstream() throws Exception {
    try (ProxyHarness proxy = ProxyHarness.start(dir, ProxyHarness.options()
        .route("max_request_body: 1KiB"))) {
      HttpResponse<String> response = proxy.agent().post("/r/local/chat", proxy.token(),
          "{\"pad\":\"" + "x".repeat(2000) + "\"}");
      assertEquals(413, response.statusCode());
      assertEquals("payload_too_large", code(response));
      assertTrue(proxy.upstream().received().isEmpty());
    }
  }

  @Test
  void aStreamedBodyOverTheLimitGets413() throws Exception {
    try (ProxyHarness proxy = ProxyHarness.start(dir, ProxyHarness.options()
        .route("max_request_body: 1KiB"))) {
      proxy.upstream().streamWith(request -> request.handler(chunk -> { }));
      HttpResponse<String> response = proxy.agent().send(proxy.agent().request("/r/local/chat")
          .header("Authorization", "Bearer " + proxy.token())
          .POST(HttpRequest.BodyPublishers.ofInputStream(
              () -> new StreamingTest.Zeros(64 * 1024))));
      assertEquals(413, response.statusCode(), response.body());
      assertEquals("payload_too_large", code(response));
    }
  }

  @Test
  void anUpstreamThatNeverAnswersIs504AfterTheFirstByteTimeout() throws Exception {
    try (ProxyHarness proxy = ProxyHarness.start(dir, ProxyHarness.options()
        .config("upstream:\n  first_byte_timeout: 300ms\n"))) {
      proxy.upstream().respondWith(request -> { });
      Instant start = Instant.now();
      HttpResponse<String> response = proxy.agent().post("/r/local/chat", proxy.token(), "{}");
      assertEquals(504, response.statusCode());
      assertEquals("upstream_timeout", code(response));
      assertTrue(Duration.between(start, Instant.now()).toMillis() < 5000);
    }
  }

  @Test
  void aRefusedConnectionIs502UpstreamUnreachable() throws Exception {
    int closedPort;
    try (ServerSocket probe = new ServerSocket(0)) {
      closedPort = probe.getLocalPort();
    }
    try (ProxyHarness proxy = ProxyHarness.start(dir, ProxyHarness.options())) {
      Path policy = proxy.installation().dir().resolve("policy.yaml");
      String text = Files.readString(policy);
      Files.writeString(policy, text.replace(":" + proxy.upstream().port() + "/v1",
          ":" + closedPort + "/v1").replace("[" + proxy.upstream().port() + "]",
          "[" + proxy.upstream().port() + ", " + closedPort + "]"));
      assertTrue(proxy.keyward().reloadPolicy().changed());
      HttpResponse<String> response = proxy.agent().post("/r/local/chat", proxy.token(), "{}");
      assertEquals(502, response.statusCode());
      assertEquals("upstream_unreachable", code(response));
    }
  }

  @Test
  void anUpstreamResetMidStreamResetsTheAgentsStreamAndIsAudited() throws Exception {
    try (ProxyHarness proxy = ProxyHarness.start(dir, ProxyHarness.options());
        AuditCapture audit = new AuditCapture(dir)) {
      proxy.upstream().respondWith(request -> {
        HttpServerResponse response = request.response().setChunked(true);
        response.write("data: first\n\n");
        proxy.vertx().setTimer(100, id -> request.connection().close());
      });
      HttpResponse<InputStream> response = proxy.agent().sendStreaming(proxy.agent()
          .request("/r/local/chat").header("Authorization", "Bearer " + proxy.token())
          .POST(HttpRequest.BodyPublishers.ofString("{}")));
      assertEquals(200, response.statusCode());
      // The body must not end cleanly: a truncated stream that looked complete would be worse.
      assertThrows(IOException.class, () -> response.body().readAllBytes());
      String id = response.headers().firstValue("x-request-id").orElseThrow();
      JsonObject record = audit.forRequest(id);
      assertEquals("upstream_reset", record.getString("code"));
      assertEquals("failed", record.getString("decision"));
    }
  }

  @Test
  void anUpstreamThatGoesQuietMidStreamIsCutAfterTheIdleTimeout() throws Exception {
    try (ProxyHarness proxy = ProxyHarness.start(dir, ProxyHarness.options()
        .config("upstream:\n  idle_timeout: 400ms\n"))) {
      proxy.upstream().respondWith(request -> request.response().setChunked(true)
          .write("data: then silence\n\n"));
      Instant start = Instant.now();
      HttpResponse<InputStream> response = proxy.agent().sendStreaming(proxy.agent()
          .request("/r/local/chat").header("Authorization", "Bearer " + proxy.token())
          .POST(HttpRequest.BodyPublishers.ofString("{}")));
      assertThrows(IOException.class, () -> response.body().readAllBytes());
      assertTrue(Duration.between(start, Instant.now()).toMillis() < 5000);
    }
  }

  @Test
  void aClientTricklingItsHeadersIsDisconnected() throws Exception {
    try (ProxyHarness proxy = ProxyHarness.start(dir, ProxyHarness.options()
        .config("limits:\n  request_header_timeout: 500ms\n"));
        RawHttp slowloris = new RawHttp(proxy.port())) {
      slowloris.write("POST /r/local/chat HTTP/1.1\r\nHost: x\r\n");
      Instant start = Instant.now();
      boolean closed = false;
      for (int i = 0; i < 40 && !closed; i++) {
        try {
          slowloris.write("X-Slow-" + i + ": a\r\n");
        } catch (IOException e) {
          closed = true;
        }
        Thread.sleep(100);
      }
      assertTrue(closed || slowloris.closedByServer(), "the trickling client was never cut off");
      assertTrue(Duration.between(start, Instant.now()).toMillis() < 3000);
      assertTrue(proxy.upstream().received().isEmpty());
    }
  }

  @Test
  void noExchangeOutlivesTheMaximumRequestDuration() throws Exception {
    try (ProxyHarness proxy = ProxyHarness.start(dir, ProxyHarness.options()
        .config("limits:\n  max_request_duration: 1s\n"))) {
      proxy.upstream().respondWith(request -> {
        HttpServerResponse response = request.response().setChunked(true);
        proxy.vertx().setPeriodic(100, id -> {
          if (response.closed() || response.ended()) {
            proxy.vertx().cancelTimer(id);
          } else {
            response.write("data: tick\n\n");
          }
        });
      });
      Instant start = Instant.now();
      HttpResponse<InputStream> response = proxy.agent().sendStreaming(proxy.agent()
          .request("/r/local/chat").header("Authorization", "Bearer " + proxy.token())
          .POST(HttpRequest.BodyPublishers.ofString("{}")));
      assertThrows(IOException.class, () -> response.body().readAllBytes());
      long ms = Duration.between(start, Instant.now()).toMillis();
      assertTrue(ms >= 900 && ms < 5000, "cut after " + ms + " ms");
      assertFalse(proxy.upstream().received().isEmpty());
    }
  }
}
