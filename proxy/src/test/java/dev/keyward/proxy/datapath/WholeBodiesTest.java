package dev.keyward.proxy.datapath;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyward.proxy.testing.Agent;
import dev.keyward.proxy.testing.ProxyHarness;
import io.vertx.core.http.HttpServerResponse;
import java.io.InputStream;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A body the upstream declares small reaches the agent whole, with its length (one write, as a
 * buffering proxy sends it); a large or undeclared one streams, chunked. Either way it is
 * redacted first.
 */
class WholeBodiesTest {

  @TempDir
  Path dir;

  @Test
  void aSmallBodyReachesTheAgentWithItsLength() throws Exception {
    try (ProxyHarness proxy = ProxyHarness.start(dir, ProxyHarness.options())) {
      proxy.upstream().respondWith(request -> request.response().end("{\"ok\":true}"));
      HttpResponse<String> response = proxy.agent().post("/r/local/chat", proxy.token(), "{}");
      assertEquals("{\"ok\":true}", response.body());
      assertEquals("11", response.headers().firstValue("content-length").orElse("chunked"));
    }
  }

  @Test
  void aSmallBodyWithTheKeyEchoedHasTheLengthOfItsRedactedForm() throws Exception {
    try (ProxyHarness proxy = ProxyHarness.start(dir, ProxyHarness.options())) {
      proxy.upstream().respondWith(request -> request.response()
          .end("{\"echo\":\"" + request.getHeader("Authorization") + "\"}"));
      HttpResponse<String> response = proxy.agent().post("/r/local/chat", proxy.token(), "{}");
      assertEquals("{\"echo\":\"Bearer [REDACTED]\"}", response.body());
      assertEquals(String.valueOf(response.body().getBytes(StandardCharsets.UTF_8).length),
          response.headers().firstValue("content-length").orElse("chunked"));
      assertFalse(Agent.everything(response).contains(ProxyHarness.KEY));
    }
  }

  @Test
  void anEventStreamWithADeclaredLengthStillStreamsAsItArrives() throws Exception {
    String first = "data: {\"n\":1}\n\n";
    String second = "data: {\"n\":2}\n\n";
    try (ProxyHarness proxy = ProxyHarness.start(dir, ProxyHarness.options())) {
      CompletableFuture<Void> firstArrived = new CompletableFuture<>();
      proxy.upstream().respondWith(request -> {
        HttpServerResponse response = request.response()
            .putHeader("Content-Type", "text/event-stream")
            .putHeader("Content-Length", String.valueOf(first.length() + second.length()));
        response.write(first);
        // The second event only once the agent has read the first: a gathered body never ends.
        firstArrived.thenRun(() -> proxy.vertx().runOnContext(v -> response.end(second)));
      });
      HttpResponse<InputStream> response = proxy.agent().sendStreaming(proxy.agent()
          .request("/r/local/chat").header("Authorization", "Bearer " + proxy.token())
          .header("Content-Type", "application/json").POST(BodyPublishers.ofString("{}")));
      try (InputStream body = response.body()) {
        byte[] expected = first.getBytes(StandardCharsets.UTF_8);
        assertArrayEquals(expected, body.readNBytes(expected.length));
        firstArrived.complete(null);
        assertEquals(second, new String(body.readAllBytes(), StandardCharsets.UTF_8));
      }
    }
  }

  @Test
  void aLargeBodyStreamsChunked() throws Exception {
    String large = "x".repeat(256 * 1024);
    try (ProxyHarness proxy = ProxyHarness.start(dir, ProxyHarness.options())) {
      proxy.upstream().respondWith(request -> request.response().end(large));
      HttpResponse<String> response = proxy.agent().post("/r/local/chat", proxy.token(), "{}");
      assertEquals(large, response.body());
      assertTrue(response.headers().firstValue("content-length").isEmpty(),
          "streamed, so its length is not announced");
    }
  }
}
