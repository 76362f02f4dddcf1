package dev.keyward.proxy.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyward.proxy.testing.AuditCapture;
import dev.keyward.proxy.testing.ProxyHarness;
import dev.keyward.proxy.testing.RawHttp;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every request an agent sends shows in the audit trail and in keyward_requests_total, whether
 * or not it ever reached the pipeline: unknown paths, methods the proxy does not serve, requests
 * the HTTP decoder refused, the token endpoints.
 */
class EveryRequestIsRecordedTest {

  @TempDir
  Path dir;

  ProxyHarness proxy;
  AuditCapture audit;

  @BeforeEach
  void start() throws Exception {
    proxy = ProxyHarness.start(dir, ProxyHarness.options()
        .config("limits:\n  max_header_size: 9KiB\n"));
    audit = new AuditCapture(dir);
  }

  @AfterEach
  void stop() throws Exception {
    proxy.close();
  }

  static String requestIdOf(String body) {
    return new JsonObject(body).getJsonObject("error").getString("request_id");
  }

  void assertRecorded(String requestId, String code, int status) throws Exception {
    JsonObject record = audit.forRequest(requestId);
    assertEquals(code, record.getString("code"), record.encode());
    assertEquals(status, record.getInteger("status"));
    assertTrue(proxy.metrics().contains("keyward_requests_total{code=\"" + code + "\""),
        code + " is not counted");
  }

  @Test
  void anUnknownPathIsAuditedAndCounted() throws Exception {
    HttpResponse<String> response = proxy.agent().get("/nope", null);
    assertEquals(404, response.statusCode());
    assertRecorded(requestIdOf(response.body()), "not_found", 404);
  }

  @Test
  void anEncodedSlashAfterTheRoutePrefixIsAuditedAndCounted() throws Exception {
    HttpResponse<String> response = proxy.agent().post("/r%2flocal/chat", proxy.token(), "{}");
    assertEquals(404, response.statusCode());
    assertRecorded(requestIdOf(response.body()), "not_found", 404);
  }

  @Test
  void aConnectRequestIsAuditedAndCounted() throws Exception {
    try (RawHttp raw = new RawHttp(proxy.port())) {
      String answer = raw.write("CONNECT api.openai.com:443 HTTP/1.1\r\nHost: api.openai.com:443"
          + "\r\n\r\n").readAll();
      assertTrue(answer.startsWith("HTTP/1.1 404"), answer);
      assertRecorded(requestIdOf(answer.substring(answer.indexOf("\r\n\r\n") + 4)), "not_found",
          404);
    }
  }

  @Test
  void headersTooLargeAreAuditedAndCounted() throws Exception {
    try (RawHttp raw = new RawHttp(proxy.port())) {
      String answer = raw.write("POST /r/local/chat HTTP/1.1\r\nHost: x\r\nX-Big: "
          + "a".repeat(16 * 1024) + "\r\n\r\n").readAll();
      assertTrue(answer.startsWith("HTTP/1.1 431"), answer);
      assertRecorded(requestIdOf(answer.substring(answer.indexOf("\r\n\r\n") + 4)),
          "headers_too_large", 431);
    }
  }

  @Test
  void aRefusedTokenExchangeIsAuditedAndCounted() throws Exception {
    HttpResponse<String> response = proxy.agent().post("/v1/tokens", null,
        new JsonObject().put("client_id", "agent-9").put("client_secret", "kwa_wrong").encode());
    assertEquals(401, response.statusCode());
    JsonObject record = audit.forRequest(requestIdOf(response.body()));
    assertEquals("invalid_client", record.getString("code"));
    assertEquals("agent-9", record.getString("agent"));
    assertTrue(proxy.metrics().contains("keyward_requests_total{code=\"invalid_client\""));
  }
}
