package dev.keyward.proxy.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

class AuditReportTest {

  static JsonObject request(String credential, int version, String decision, int attempts) {
    return new JsonObject().put("type", "request").put("agent", "bot").put("credential", credential)
        .put("credential_version", version).put("decision", decision).put("attempts", attempts);
  }

  static JsonObject attempt(String credential, int version, String outcome, String code) {
    return new JsonObject().put("type", "attempt").put("agent", "bot")
        .put("credential", credential).put("credential_version", version).put("outcome", outcome)
        .put("code", code);
  }

  static JsonObject line(AuditReport report, String credential) {
    JsonArray lines = report.toJson();
    for (int i = 0; i < lines.size(); i++) {
      if (credential.equals(lines.getJsonObject(i).getString("credential"))) {
        return lines.getJsonObject(i);
      }
    }
    throw new AssertionError(credential + " not in " + lines.encode());
  }

  @Test
  void aKeyVersionSentOnlyByAFailedFallbackAttemptIsListed() {
    AuditReport report = new AuditReport();
    report.accept(attempt("B", 2, "failed", "upstream_key_refused"));

    JsonObject b = line(report, "B");
    assertEquals(1, b.getLong("requests"));
    assertEquals(1, b.getLong("failed"));
    assertEquals(new JsonArray().add(2), b.getJsonArray("versions"));
  }

  @Test
  void aCallWithTargetsIsCountedOnceByItsAttempts() {
    AuditReport report = new AuditReport();
    report.accept(attempt("A", 1, "failed", "upstream_error"));
    report.accept(attempt("B", 3, "served", "served"));
    report.accept(request("B", 3, "allowed", 2));

    assertEquals(1, line(report, "A").getLong("requests"));
    JsonObject b = line(report, "B");
    assertEquals(1, b.getLong("requests"));
    assertEquals(1, b.getLong("allowed"));
  }

  @Test
  void anAttemptTheBudgetRefusedIsDeniedAndOneWhoseCircuitWasOpenFailed() {
    AuditReport report = new AuditReport();
    report.accept(attempt("A", 0, "skipped", "budget_exceeded"));
    report.accept(attempt("A", 0, "skipped", "circuit_open"));

    JsonObject a = line(report, "A");
    assertEquals(1, a.getLong("denied"));
    assertEquals(1, a.getLong("failed"));
    assertEquals(new JsonArray(), a.getJsonArray("versions"));
  }

  @Test
  void requestsOnRoutesWithOneUpstreamAreCountedByTheirDecision() {
    AuditReport report = new AuditReport();
    report.accept(request("A", 1, "allowed", 0));
    report.accept(request("A", 1, "would_deny", 0));
    report.accept(request("A", 0, "denied", 0));

    JsonObject a = line(report, "A");
    assertEquals(3, a.getLong("requests"));
    assertEquals(1, a.getLong("allowed"));
    assertEquals(1, a.getLong("would_deny"));
    assertEquals(1, a.getLong("denied"));
  }
}
