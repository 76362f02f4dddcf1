package dev.keyward.proxy.datapath;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyward.proxy.testing.HeapWatch;
import dev.keyward.proxy.testing.ProxyHarness;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bodies stream through: events as they happen, large bodies without growing the heap. */
class StreamingTest {

  static final long HUNDRED_MB = 100L * 1024 * 1024;
  static final long MAX_HEAP_GROWTH = 48L * 1024 * 1024;
  static final int EVENTS = 4;

  @TempDir
  Path dir;

  ProxyHarness proxy;

  @BeforeEach
  void start() throws Exception {
    proxy = ProxyHarness.start(dir, ProxyHarness.options());
  }

  @AfterEach
  void stop() throws Exception {
    proxy.close();
  }

  /**
   * In lock step: the upstream sends each event only once the agent has read the one before, so a
   * proxy that held events back (buffering the body, or a chunk) would never see the stream end.
   */
  @Test
  void serverSentEventsReachTheAgentOneByOneAsTheyAreSent() {
    List<CompletableFuture<Void>> read = new ArrayList<>();
    for (int i = 0; i < EVENTS; i++) {
      read.add(new CompletableFuture<>());
    }
    proxy.upstream().streamWith(request -> {
      HttpServerResponse response = request.response()
          .putHeader("Content-Type", "text/event-stream").setChunked(true);
      CompletableFuture<Void> previous = CompletableFuture.completedFuture(null);
      for (int i = 0; i < EVENTS; i++) {
        int n = i;
        previous = previous.thenRun(() -> proxy.vertx().runOnContext(v -> {
          response.write("data: {\"n\":" + n + "}\n\n");
          if (n == EVENTS - 1) {
            response.end();
          }
        })).thenCompose(v -> read.get(n));
      }
    });
    assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
      HttpResponse<InputStream> response = proxy.agent().sendStreaming(proxy.agent()
          .request("/r/local/chat").header("Authorization", "Bearer " + proxy.token())
          .POST(HttpRequest.BodyPublishers.ofString("{\"stream\":true}")));
      try (BufferedReader lines = new BufferedReader(
          new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
        int n = 0;
        for (String line; (line = lines.readLine()) != null; ) {
          if (line.startsWith("data: ")) {
            assertEquals(n, new JsonObject(line.substring(6)).getInteger("n"));
            read.get(n).complete(null);
            n++;
          }
        }
        assertEquals(EVENTS, n);
      }
    }, "an event was held back: the stream stalled");
  }

  @Test
  void aHundredMegabyteUploadStreamsThroughWithFlatHeap() throws Exception {
    AtomicLong received = new AtomicLong();
    proxy.upstream().streamWith(request -> {
      request.handler(chunk -> received.addAndGet(chunk.length()));
      request.endHandler(v -> request.response().end("{\"received\":" + received.get() + "}"));
    });
    HttpResponse<String> response;
    try (HeapWatch heap = new HeapWatch()) {
      response = proxy.agent().send(proxy.agent().request("/r/local/upload")
          .header("Authorization", "Bearer " + proxy.token())
          .header("Content-Type", "application/octet-stream")
          .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new Zeros(HUNDRED_MB))));
      heap.close();
      assertTrue(heap.growth() < MAX_HEAP_GROWTH, "heap grew by " + heap.growth() / 1024 / 1024
          + " MiB during a 100 MiB upload");
    }
    assertEquals(200, response.statusCode(), response.body());
    assertEquals(HUNDRED_MB, received.get());
  }

  @Test
  void aHundredMegabyteDownloadStreamsThroughWithFlatHeap() throws Exception {
    proxy.upstream().streamWith(request -> {
      HttpServerResponse response = request.response().setChunked(true);
      Buffer chunk = Buffer.buffer(new byte[64 * 1024]);
      AtomicLong sent = new AtomicLong();
      Runnable[] pump = new Runnable[1];
      pump[0] = () -> {
        while (sent.get() < HUNDRED_MB && !response.writeQueueFull()) {
          response.write(chunk);
          sent.addAndGet(chunk.length());
        }
        if (sent.get() >= HUNDRED_MB) {
          response.end();
        } else {
          response.drainHandler(v -> pump[0].run());
        }
      };
      pump[0].run();
    });
    long read = 0;
    try (HeapWatch heap = new HeapWatch()) {
      HttpResponse<InputStream> response = proxy.agent().sendStreaming(proxy.agent()
          .request("/r/local/download").header("Authorization", "Bearer " + proxy.token())
          .POST(HttpRequest.BodyPublishers.ofString("{}")));
      assertEquals(200, response.statusCode());
      try (InputStream body = response.body()) {
        byte[] buffer = new byte[64 * 1024];
        for (int n; (n = body.read(buffer)) >= 0; ) {
          read += n;
        }
      }
      heap.close();
      assertTrue(heap.growth() < MAX_HEAP_GROWTH, "heap grew by " + heap.growth() / 1024 / 1024
          + " MiB during a 100 MiB download");
    }
    assertEquals(HUNDRED_MB, read);
  }

  /** {@code length} zero bytes, generated as they are read. */
  static final class Zeros extends InputStream {
    private long left;

    Zeros(long length) {
      this.left = length;
    }

    @Override
    public int read() {
      if (left <= 0) {
        return -1;
      }
      left--;
      return 0;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (left <= 0) {
        return -1;
      }
      int n = (int) Math.min(len, left);
      Arrays.fill(b, off, off + n, (byte) 0);
      left -= n;
      return n;
    }
  }
}
