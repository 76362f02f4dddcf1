package dev.keyward.proxy.datapath;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyward.proxy.testing.Agent;
import dev.keyward.proxy.testing.ProxyHarness;
import io.vertx.core.http.HttpServerResponse;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An upstream that echoes the injected key back, in a header and in a streamed body cut at every
 * possible offset: the agent never sees the key, only [REDACTED].
 */
class RedactionEndToEndTest {

  static final String KEY = ProxyHarness.KEY;

  @TempDir
  Path dir;

  @Test
  void anEchoedKeyIsRedactedInHeadersAndInABodySplitAtEveryOffset() throws Exception {
    String body = "data: {\"echo\":\"Bearer " + KEY + "\"}\n\n";
    String expected = "data: {\"echo\":\"Bearer [REDACTED]\"}\n\n";
    AtomicInteger split = new AtomicInteger();
    try (ProxyHarness proxy = ProxyHarness.start(dir, ProxyHarness.options())) {
      proxy.upstream().respondWith(request -> {
        HttpServerResponse response = request.response()
            .putHeader("Content-Type", "text/event-stream")
            .putHeader("X-Echo", request.getHeader("Authorization"))
            .setChunked(true);
        int at = split.get();
        response.write(body.substring(0, at));
        // a separate chunk on the wire, a moment later
        proxy.vertx().setTimer(5, id -> response.end(body.substring(at)));
      });
      String token = proxy.token();
      for (int at = 0; at <= body.length(); at++) {
        split.set(at);
        HttpResponse<String> response = proxy.agent().post("/r/local/chat", token, "{}");
        assertEquals(expected, response.body(), "split at " + at);
        assertEquals("Bearer [REDACTED]", response.headers().firstValue("x-echo").orElse(""));
        assertFalse(Agent.everything(response).contains(KEY), "split at " + at);
      }
    }
  }

  @Test
  void anEchoedKeyInBase64IsRedactedToo() throws Exception {
    try (ProxyHarness proxy = ProxyHarness.start(dir, ProxyHarness.options())) {
      proxy.upstream().respondWith(request -> request.response().end("{\"debug\":\""
          + Base64.getEncoder().encodeToString(("Authorization: " + request.getHeader("Authorization"))
              .getBytes(StandardCharsets.US_ASCII)) + "\"}"));
      HttpResponse<String> response = proxy.agent().post("/r/local/chat", proxy.token(), "{}");
      assertTrue(response.body().contains("[REDACTED]"), response.body());
      String[] decodable = response.body().split("\\[REDACTED\\]");
      for (String part : decodable) {
        assertFalse(part.contains(Base64.getEncoder().encodeToString(KEY.getBytes())));
      }
    }
  }
}
