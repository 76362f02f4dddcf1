package dev.keyward.proxy.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

class AuditPagesTest {

  static JsonObject failedAttempt() {
    return new JsonObject().put("seq", 40).put("type", "attempt")
        .put("time", "2026-12-01T10:00:00Z").put("request_id", "kw-1").put("attempt", 1)
        .put("agent", "support-bot").put("tenant", "acme").put("route", "chat")
        .put("target", "primary").put("credential", "openrouter").put("credential_version", 3)
        .put("target_host", "openrouter.ai").put("path", "/api/v1/chat/completions")
        .put("model", "anthropic/claude-sonnet-4.5").put("outcome", "failed")
        .put("code", "upstream_error").put("reason", "the upstream answered with a server error")
        .put("rule", "").put("upstream_status", 503).put("first_byte_us", 412034);
  }

  @Test
  void anAttemptRowShowsItsOutcomeTargetAndUpstreamStatus() {
    AuditPages.Row row = AuditPages.row(failedAttempt());
    assertEquals("attempt", row.kind());
    assertEquals("failed", row.decision());
    assertEquals("d-failed", row.decisionCss());
    assertEquals("upstream_error", row.code());
    assertEquals("support-bot", row.who());
    assertEquals("openrouter v3", row.credential());
    assertEquals("attempt 1 via primary: openrouter.ai/api/v1/chat/completions", row.what());
    assertEquals("anthropic/claude-sonnet-4.5", row.model());
    assertEquals("", row.cost());
    assertEquals(503, row.status());
  }

  @Test
  void theTrailRendersAnAttemptAsAnAttemptWithItsOutcome() {
    String html = new Pages().render("audit", new Frame("Audit trail", "audit", "olivia",
        "auditor", false, "csrf-1", null), new AuditPages.TrailView(AuditFilter.NONE, List.of(),
        List.of(AuditPages.row(failedAttempt())), null, null, null, "/console/audit/export.jsonl",
        "/console/audit/export.csv", List.of(), AuditFilter.DECISIONS));
    assertTrue(html.contains("<tr class=\"attempt\">"), html);
    assertTrue(html.contains("<span class=\"badge d-failed\">failed</span>"), html);
    assertTrue(html.contains("<option value=\"attempt\">attempt</option>"), html);
    assertTrue(html.contains("<option value=\"served\">served</option>"), html);
  }

  @Test
  void anAttemptsDetailShowsItsOutcomeTargetAndKeyVersion() {
    AuditPages.EntryView view = AuditPages.entryView(failedAttempt());
    assertEquals("Attempt 40", view.heading());
    assertEquals("failed", view.decision());
    List<String> fields = view.sections().stream().flatMap(s -> s.fields().stream())
        .map(f -> f.name() + "=" + f.text()).toList();
    assertTrue(fields.containsAll(List.of("outcome=failed", "code=upstream_error",
        "target=primary", "credential=openrouter", "key version=3", "upstream status=503",
        "attempt=1", "request id=kw-1", "first byte=412 ms")), fields.toString());
  }

  @Test
  void aRequestWithTargetsShowsTheTargetThatAnsweredAndItsAttempts() {
    JsonObject request = new JsonObject().put("seq", 41).put("type", "request")
        .put("time", "2026-12-01T10:00:01Z").put("agent", "support-bot").put("route", "chat")
        .put("credential", "backup").put("credential_version", 1).put("decision", "allowed")
        .put("code", "allowed").put("target", "secondary").put("attempts", 2);
    List<String> fields = AuditPages.entryView(request).sections().stream()
        .flatMap(s -> s.fields().stream()).map(f -> f.name() + "=" + f.text()).toList();
    assertTrue(fields.containsAll(List.of("target=secondary", "attempts=2")), fields.toString());
  }
}
