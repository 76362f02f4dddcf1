package dev.keyward.proxy.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyward.proxy.testing.Agent;
import dev.keyward.proxy.testing.ProxyHarness;
import dev.keyward.token.Role;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * When the audit log cannot be written, requests are refused with 503 audit_unavailable (or, if so
 * configured, served and counted), and service resumes once it can be written again. The log's
 * directory is made unusable by a plain file in its place, which stops root too.
 */
class AuditFailureTest {

  @TempDir
  Path dir;

  static String auditConfig(String onFailure) {
    return "audit:\n  file: blocked/audit.jsonl\n  on_failure: " + onFailure + "\n";
  }

  ProxyHarness start(String onFailure) throws Exception {
    Files.writeString(dir.resolve("blocked"), "not a directory");
    return ProxyHarness.start(dir, ProxyHarness.options().config(auditConfig(onFailure)));
  }

  static String code(HttpResponse<String> response) {
    return new JsonObject(response.body()).getJsonObject("error").getString("code");
  }

  @Test
  void anUnwritableAuditLogRefusesRequestsBeforeTheyReachTheUpstream() throws Exception {
    try (ProxyHarness proxy = start("fail_closed")) {
      HttpResponse<String> response = proxy.agent().post("/r/local/chat", proxy.token(), "{}");
      assertEquals(503, response.statusCode());
      assertEquals("audit_unavailable", code(response));
      assertTrue(proxy.upstream().received().isEmpty(), "a request went out unaudited");
      assertTrue(proxy.keyward().audit().writeFailures() > 0);
    }
  }

  @Test
  void anUnwritableAuditLogMakesTheInstanceNotReadyAndShowsInTheMetrics() throws Exception {
    try (ProxyHarness proxy = start("fail_closed")) {
      HttpResponse<String> readyz = proxy.admin().get("/readyz", null);
      assertEquals(503, readyz.statusCode());
      assertTrue(readyz.body().contains("audit log cannot be written"), readyz.body());
      String metrics = proxy.metrics();
      assertTrue(metrics.contains("keyward_audit_writable 0.0"), "audit_writable gauge");
      assertFalse(metrics.contains("keyward_audit_write_failures_total 0.0"), "failure count");
    }
  }

  @Test
  void adminActionsAreRefusedWhileTheAuditLogCannotBeWritten() throws Exception {
    try (ProxyHarness proxy = start("fail_closed")) {
      String operator = proxy.installation().operatorToken("olivia", Role.OPERATOR).token();
      HttpResponse<String> response = new Agent(proxy.keyward().adminPort())
          .get("/v1/agents", operator);
      assertEquals(503, response.statusCode());
      assertEquals("audit_unavailable", code(response));
    }
  }

  @Test
  void requestsAreServedAgainOnceTheAuditLogIsWritable() throws Exception {
    try (ProxyHarness proxy = start("fail_closed")) {
      assertEquals(503, proxy.agent().post("/r/local/chat", proxy.token(), "{}").statusCode());
      Files.delete(dir.resolve("blocked"));
      int status = Awaitility.await("served again").atMost(Duration.ofSeconds(10))
          .until(() -> proxy.agent().post("/r/local/chat", proxy.token(), "{}").statusCode(),
              s -> s != 503);
      assertEquals(200, status);
      assertTrue(Files.readString(dir.resolve("blocked/audit.jsonl")).contains("audit_unavailable"),
          "the refusals made while the log was down were written once it came back");
    }
  }

  @Test
  void failOpenServesRequestsAndCountsTheFailedWrites() throws Exception {
    try (ProxyHarness proxy = start("fail_open")) {
      assertEquals(200, proxy.agent().post("/r/local/chat", proxy.token(), "{}").statusCode());
      assertTrue(proxy.keyward().audit().writeFailures() > 0);
      assertTrue(!proxy.keyward().audit().healthy());
    }
  }
}
