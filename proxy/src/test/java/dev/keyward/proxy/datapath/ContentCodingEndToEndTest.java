package dev.keyward.proxy.datapath;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.aayushatharva.brotli4j.Brotli4jLoader;
import com.aayushatharva.brotli4j.encoder.Encoder;
import com.github.luben.zstd.Zstd;
import dev.keyward.proxy.testing.AuditCapture;
import dev.keyward.proxy.testing.ProxyHarness;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * No content coding carries the key past the redactor. Keyward asks upstreams for {@code
 * identity}; an upstream that compresses anyway (gzip, deflate, br, zstd, or several stacked) is
 * decoded before redaction, and the agent gets the plain, redacted body. A coding Keyward cannot
 * decode never reaches the agent: 502 {@code upstream_encoding_unsupported}.
 */
class ContentCodingEndToEndTest {

  static final String KEY = ProxyHarness.KEY;
  /** What an upstream says when the key is wrong: it quotes the key. */
  static final String ECHO = "{\"error\":{\"message\":\"Incorrect API key provided: " + KEY
      + "\",\"type\":\"invalid_request_error\"}}";
  static final String REDACTED = ECHO.replace(KEY, "[REDACTED]");

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

  static byte[] encode(String coding, byte[] body) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    switch (coding) {
      case "gzip", "x-gzip" -> {
        try (GZIPOutputStream gzip = new GZIPOutputStream(out)) {
          gzip.write(body);
        }
      }
      case "deflate" -> {
        try (DeflaterOutputStream deflate = new DeflaterOutputStream(out)) {
          deflate.write(body);
        }
      }
      case "raw-deflate" -> {
        try (DeflaterOutputStream deflate =
            new DeflaterOutputStream(out, new Deflater(Deflater.DEFAULT_COMPRESSION, true))) {
          deflate.write(body);
        }
      }
      case "br" -> {
        Brotli4jLoader.ensureAvailability();
        out.write(Encoder.compress(body));
      }
      case "zstd" -> out.write(Zstd.compress(body));
      default -> throw new IllegalArgumentException(coding);
    }
    return out.toByteArray();
  }

  /** The upstream answers 401 quoting the key, encoded with {@code coding}, in two chunks. */
  void upstreamAnswersEncoded(String headerValue, byte[] encoded) {
    proxy.upstream().respondWith(request -> {
      HttpServerResponse response = request.response().setStatusCode(401)
          .putHeader("Content-Type", "application/json")
          .putHeader("Content-Encoding", headerValue)
          .setChunked(true);
      int half = encoded.length / 2;
      response.write(Buffer.buffer(Arrays.copyOfRange(encoded, 0, half)));
      response.end(Buffer.buffer(Arrays.copyOfRange(encoded, half, encoded.length)));
    });
  }

  HttpResponse<byte[]> callAskingForCompression() throws Exception {
    return proxy.agent().sendBytes(proxy.agent().request("/r/local/chat")
        .header("Authorization", "Bearer " + proxy.token())
        .header("Accept-Encoding", "gzip, deflate, br, zstd")
        .POST(HttpRequest.BodyPublishers.ofString("{}")));
  }

  static String everything(HttpResponse<byte[]> response) {
    StringBuilder all = new StringBuilder();
    response.headers().map().forEach((name, values) -> all.append(name).append(": ")
        .append(values).append('\n'));
    return all.append(new String(response.body(), StandardCharsets.ISO_8859_1)).toString();
  }

  @Test
  void keywardAsksTheUpstreamForAnUncompressedBody() throws Exception {
    callAskingForCompression();
    assertEquals("identity", proxy.upstream().only().headers().get("Accept-Encoding"));
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"gzip", "x-gzip", "deflate", "br", "zstd"})
  void anEncodedEchoOfTheKeyReachesTheAgentDecodedAndRedacted(String coding) throws Exception {
    upstreamAnswersEncoded(coding, encode(coding, ECHO.getBytes(StandardCharsets.UTF_8)));
    HttpResponse<byte[]> response = callAskingForCompression();
    assertEquals(401, response.statusCode());
    assertEquals(REDACTED, new String(response.body(), StandardCharsets.UTF_8));
    assertTrue(response.headers().firstValue("content-encoding").isEmpty(),
        "the body is no longer encoded");
    assertFalse(everything(response).contains(KEY));
  }

  @Test
  void rawDeflateWithoutTheZlibWrapperIsDecodedToo() throws Exception {
    upstreamAnswersEncoded("deflate", encode("raw-deflate", ECHO.getBytes(StandardCharsets.UTF_8)));
    HttpResponse<byte[]> response = callAskingForCompression();
    assertEquals(REDACTED, new String(response.body(), StandardCharsets.UTF_8));
  }

  @Test
  void stackedCodingsAreUndoneInReverseOrder() throws Exception {
    byte[] gzipThenBrotli = encode("br", encode("gzip", ECHO.getBytes(StandardCharsets.UTF_8)));
    upstreamAnswersEncoded("gzip, br", gzipThenBrotli);
    HttpResponse<byte[]> response = callAskingForCompression();
    assertEquals(REDACTED, new String(response.body(), StandardCharsets.UTF_8));
    assertFalse(everything(response).contains(KEY));
  }

  @Test
  void anUnrequestedCompressedStreamIsDecodedEventByEvent() throws Exception {
    String events = "data: {\"delta\":\"" + KEY + "\"}\n\n" + "data: [DONE]\n\n";
    byte[] gzip = encode("gzip", events.getBytes(StandardCharsets.UTF_8));
    proxy.upstream().respondWith(request -> {
      HttpServerResponse response = request.response()
          .putHeader("Content-Type", "text/event-stream")
          .putHeader("Content-Encoding", "gzip")
          .setChunked(true);
      for (int i = 0; i < gzip.length; i += 7) {
        response.write(Buffer.buffer(Arrays.copyOfRange(gzip, i, Math.min(gzip.length, i + 7))));
      }
      response.end();
    });
    HttpResponse<byte[]> response = callAskingForCompression();
    assertEquals(events.replace(KEY, "[REDACTED]"),
        new String(response.body(), StandardCharsets.UTF_8));
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"compress", "x-compress", "pack200-gzip", "exi", "aes128gcm", "x-custom"})
  void aCodingKeywardCannotDecodeIsRefusedWith502AndNoBody(String coding) throws Exception {
    upstreamAnswersEncoded(coding, ECHO.getBytes(StandardCharsets.UTF_8));
    try (AuditCapture audit = new AuditCapture(dir)) {
      HttpResponse<byte[]> response = callAskingForCompression();
      assertEquals(502, response.statusCode());
      assertEquals("upstream_encoding_unsupported",
          new JsonObject(new String(response.body(), StandardCharsets.UTF_8))
              .getJsonObject("error").getString("code"));
      assertFalse(everything(response).contains(KEY));
      JsonObject record =
          audit.forRequest(response.headers().firstValue("x-request-id").orElseThrow());
      assertEquals("upstream_encoding_unsupported", record.getString("code"));
    }
  }

  /** 1 KiB of gzip inside gzip that would inflate to 256 MiB: cut off, not decoded in memory. */
  @Test
  void aCompressionBombIsCutOffRatherThanDecodedIntoMemory() throws Exception {
    byte[] zeros = new byte[256 * 1024 * 1024];
    byte[] bomb = encode("gzip", encode("gzip", zeros));
    assertTrue(bomb.length < 64 * 1024, "the bomb is small: " + bomb.length);
    upstreamAnswersEncoded("gzip, gzip", bomb);
    // Cut before or after the head went out: either way the connection is reset.
    assertThrows(IOException.class, () -> proxy.agent().sendStreaming(proxy.agent()
        .request("/r/local/chat").header("Authorization", "Bearer " + proxy.token())
        .POST(HttpRequest.BodyPublishers.ofString("{}"))).body().readAllBytes());
  }

  @Test
  void moreThanTwoStackedCodingsAreRefused() throws Exception {
    byte[] thrice = encode("gzip", encode("gzip", encode("gzip",
        ECHO.getBytes(StandardCharsets.UTF_8))));
    upstreamAnswersEncoded("gzip, gzip, gzip", thrice);
    HttpResponse<byte[]> response = callAskingForCompression();
    assertEquals(502, response.statusCode());
    assertFalse(everything(response).contains(KEY));
  }

  @Test
  void aTruncatedGzipBodyResetsTheStreamRatherThanEndingCleanly() throws Exception {
    byte[] gzip = encode("gzip", (ECHO + " ".repeat(4096)).getBytes(StandardCharsets.UTF_8));
    upstreamAnswersEncoded("gzip", Arrays.copyOf(gzip, gzip.length - 12));
    assertThrows(IOException.class, () -> proxy.agent().sendStreaming(proxy.agent()
        .request("/r/local/chat").header("Authorization", "Bearer " + proxy.token())
        .POST(HttpRequest.BodyPublishers.ofString("{}"))).body().readAllBytes());
  }

  @Test
  void aCorruptCompressedBodyResetsTheStreamRatherThanPassingBytesOn() throws Exception {
    byte[] gzip = encode("gzip", ECHO.getBytes(StandardCharsets.UTF_8));
    byte[] corrupt = Arrays.copyOf(gzip, gzip.length);
    for (int i = 12; i < corrupt.length - 8; i++) {
      corrupt[i] = (byte) ~corrupt[i];
    }
    upstreamAnswersEncoded("gzip", corrupt);
    HttpResponse<InputStream> response = proxy.agent().sendStreaming(proxy.agent()
        .request("/r/local/chat").header("Authorization", "Bearer " + proxy.token())
        .POST(HttpRequest.BodyPublishers.ofString("{}")));
    assertThrows(IOException.class, () -> {
      byte[] received = response.body().readAllBytes();
      assertFalse(new String(received, StandardCharsets.ISO_8859_1).contains(KEY));
    });
  }
}
