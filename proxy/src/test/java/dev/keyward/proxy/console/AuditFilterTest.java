package dev.keyward.proxy.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AuditFilterTest {

  static JsonObject request(String time, String agent, String decision, String model) {
    JsonObject entry = new JsonObject().put("seq", 1).put("type", "request").put("time", time)
        .put("agent", agent).put("tenant", "acme").put("credential", "openai")
        .put("decision", decision).put("code", decision.equals("allowed") ? "allowed" : "no_grant");
    if (model != null) {
      entry.put("usage", new JsonObject().put("model", model).put("cost_usd", 0.01));
    }
    return entry;
  }

  static AuditFilter parse(Map<String, String> params) {
    AuditFilter.Parsed parsed = AuditFilter.parse(params::get);
    assertTrue(parsed.problems().isEmpty(), parsed.problems().toString());
    return parsed.filter();
  }

  @Test
  void anEmptyFilterMatchesEveryEntry() {
    assertTrue(AuditFilter.NONE.matches(request("2026-12-01T10:00:00Z", "a", "denied", null)));
    assertTrue(AuditFilter.NONE.matches(new JsonObject().put("type", "admin")));
  }

  @Test
  void eachFieldMatchesExactly() {
    AuditFilter filter = parse(Map.of("agent", "bot", "decision", "denied"));
    assertTrue(filter.matches(request("2026-12-01T10:00:00Z", "bot", "denied", null)));
    assertFalse(filter.matches(request("2026-12-01T10:00:00Z", "bot", "allowed", null)));
    assertFalse(filter.matches(request("2026-12-01T10:00:00Z", "bot2", "denied", null)));
  }

  @Test
  void theModelFilterReadsTheUsageObject() {
    AuditFilter filter = parse(Map.of("model", "gpt-5-mini"));
    assertTrue(filter.matches(request("2026-12-01T10:00:00Z", "a", "allowed", "gpt-5-mini")));
    assertFalse(filter.matches(request("2026-12-01T10:00:00Z", "a", "allowed", "gpt-5-nano")));
    assertFalse(filter.matches(request("2026-12-01T10:00:00Z", "a", "allowed", null)));
  }

  @Test
  void theTimeRangeIncludesFromAndExcludesTo() {
    AuditFilter filter = parse(Map.of("from", "2026-12-01T10:00", "to", "2026-12-01T11:00"));
    assertTrue(filter.matches(request("2026-12-01T10:00:00Z", "a", "allowed", null)));
    assertTrue(filter.matches(request("2026-12-01T10:59:59.999Z", "a", "allowed", null)));
    assertFalse(filter.matches(request("2026-12-01T11:00:00Z", "a", "allowed", null)));
    assertFalse(filter.matches(request("2026-12-01T09:59:59Z", "a", "allowed", null)));
    assertEquals(Instant.parse("2026-12-01T10:00:00Z"), filter.from().orElseThrow());
  }

  @Test
  void theDecisionFilterMatchesAnAdminRecordsOutcome() {
    AuditFilter filter = parse(Map.of("decision", "ok", "type", "admin"));
    assertTrue(filter.matches(new JsonObject().put("type", "admin").put("outcome", "ok")));
    assertFalse(filter.matches(request("2026-12-01T10:00:00Z", "a", "allowed", null)));
  }

  static JsonObject attempt(String outcome, String model) {
    return new JsonObject().put("seq", 2).put("type", "attempt").put("time", "2026-12-01T10:00:00Z")
        .put("attempt", 1).put("agent", "bot").put("tenant", "acme").put("target", "primary")
        .put("credential", "openai").put("credential_version", 2).put("model", model)
        .put("outcome", outcome).put("code", outcome.equals("served") ? "served" : "upstream_error");
  }

  @Test
  void theTypeFilterPicksAttemptRecords() {
    AuditFilter filter = parse(Map.of("type", "attempt"));
    assertTrue(filter.matches(attempt("failed", "gpt-5")));
    assertFalse(filter.matches(request("2026-12-01T10:00:00Z", "bot", "allowed", null)));
  }

  @Test
  void theDecisionFilterMatchesAnAttemptsOutcome() {
    AuditFilter failed = parse(Map.of("type", "attempt", "decision", "failed"));
    assertTrue(failed.matches(attempt("failed", "gpt-5")));
    assertFalse(failed.matches(attempt("served", "gpt-5")));
    AuditFilter served = parse(Map.of("decision", "served"));
    assertTrue(served.matches(attempt("served", "gpt-5")));
    assertFalse(served.matches(request("2026-12-01T10:00:00Z", "bot", "allowed", null)));
    assertTrue(parse(Map.of("decision", "skipped")).matches(attempt("skipped", "gpt-5")));
  }

  @Test
  void theModelFilterReadsAnAttemptsModel() {
    assertTrue(parse(Map.of("model", "gpt-5")).matches(attempt("failed", "gpt-5")));
    assertFalse(parse(Map.of("model", "gpt-5-mini")).matches(attempt("failed", "gpt-5")));
  }

  @Test
  void badValuesAreReportedAndIgnored() {
    AuditFilter.Parsed parsed = AuditFilter.parse(Map.of("from", "yesterday",
        "decision", "maybe", "type", "other", "agent", "x".repeat(300))::get);
    assertEquals(4, parsed.problems().size(), parsed.problems().toString());
    assertEquals(AuditFilter.NONE, parsed.filter());
  }

  @Test
  void aRangeThatEndsBeforeItStartsIsAProblem() {
    assertEquals(1, AuditFilter.parse(Map.of("from", "2026-12-02T00:00",
        "to", "2026-12-01T00:00")::get).problems().size());
  }

  @Test
  void theFilterRoundTripsThroughItsParameters() {
    AuditFilter filter = parse(Map.of("from", "2026-12-01T10:00", "agent", "bot",
        "model", "m"));
    assertEquals(filter, parse(filter.toParams()));
    assertEquals(Map.of("from", "2026-12-01T10:00", "agent", "bot", "model", "m"),
        filter.toParams());
  }
}
