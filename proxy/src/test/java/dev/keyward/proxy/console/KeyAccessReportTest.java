package dev.keyward.proxy.console;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class KeyAccessReportTest {

  static JsonObject call(String time, String agent, String credential, int version,
      String decision) {
    return new JsonObject().put("type", "request").put("time", time).put("tenant", "acme")
        .put("agent", agent).put("credential", credential).put("credential_version", version)
        .put("decision", decision);
  }

  static JsonObject attempt(String time, int number, String credential, int version,
      String outcome, String code) {
    return new JsonObject().put("type", "attempt").put("time", time).put("attempt", number)
        .put("tenant", "acme").put("agent", "bot").put("route", "chat").put("target", "t" + number)
        .put("credential", credential).put("credential_version", version).put("outcome", outcome)
        .put("code", code);
  }

  static KeyAccessReport.CredentialAccess only(KeyAccessReport report, String credential) {
    return report.credentials().stream().filter(c -> c.credential().equals(credential))
        .findFirst().orElseThrow(() -> new AssertionError(credential + " not in the report"));
  }

  @Test
  void eachAgentsUseOfEachKeyVersionIsCountedWithItsLastUse() {
    KeyAccessReport report = new KeyAccessReport();
    report.accept(call("2026-12-01T10:00:00Z", "bot", "openai", 1, "allowed"));
    report.accept(call("2026-12-01T11:00:00Z", "bot", "openai", 2, "allowed"));
    report.accept(call("2026-12-01T12:00:00Z", "bot", "openai", 2, "allowed"));
    report.accept(call("2026-12-01T13:00:00Z", "bot", "openai", 0, "denied"));
    report.accept(call("2026-12-01T09:00:00Z", "eval", "openai", 1, "allowed"));
    report.accept(new JsonObject().put("type", "admin").put("time", "2026-12-01T09:00:00Z"));
    report.accept(call("2026-12-01T09:00:00Z", "", "", 0, "denied"));

    List<KeyAccessReport.CredentialAccess> credentials = report.credentials();
    assertEquals(1, credentials.size());
    KeyAccessReport.CredentialAccess openai = credentials.get(0);
    assertEquals(4, openai.allowed());
    assertEquals(1, openai.denied());
    assertEquals(Instant.parse("2026-12-01T12:00:00Z"), openai.lastUsed());
    KeyAccessReport.AgentAccess bot = openai.agents().get(0);
    assertEquals("bot", bot.agent());
    assertEquals(List.of(new KeyAccessReport.VersionUse(1, 1, Instant.parse("2026-12-01T10:00:00Z")),
        new KeyAccessReport.VersionUse(2, 2, Instant.parse("2026-12-01T12:00:00Z"))),
        bot.versions());
    assertEquals(1, bot.denied());
    assertEquals(Instant.parse("2026-12-01T13:00:00Z"), bot.lastDenied());
    assertEquals("eval", openai.agents().get(1).agent());
    assertEquals(1, report.withoutCredential());
  }

  @Test
  void aKeySentByAFallbackAttemptThatFailedIsListedWithItsVersion() {
    KeyAccessReport report = new KeyAccessReport();
    report.accept(attempt("2026-12-01T10:00:00Z", 1, "B", 2, "failed", "upstream_key_refused"));

    KeyAccessReport.CredentialAccess b = only(report, "B");
    assertEquals(1, b.failed());
    assertEquals(0, b.allowed());
    assertEquals(Instant.parse("2026-12-01T10:00:00Z"), b.lastUsed());
    assertEquals(List.of(new KeyAccessReport.VersionUse(2, 1,
        Instant.parse("2026-12-01T10:00:00Z"))), b.agents().get(0).versions());
  }

  @Test
  void aCallWithTargetsIsCountedOnceByItsAttempts() {
    KeyAccessReport report = new KeyAccessReport();
    report.accept(attempt("2026-12-01T10:00:00Z", 1, "A", 1, "failed", "upstream_error"));
    report.accept(attempt("2026-12-01T10:00:01Z", 2, "B", 2, "served", "served"));
    report.accept(call("2026-12-01T10:00:02Z", "bot", "B", 2, "allowed")
        .put("target", "t2").put("attempts", 2));
    // Every target failed: the request record names no credential, but was no refusal.
    report.accept(attempt("2026-12-01T11:00:00Z", 1, "A", 1, "failed", "upstream_error"));
    report.accept(call("2026-12-01T11:00:01Z", "bot", "", 0, "failed")
        .put("target", "").put("attempts", 1));

    KeyAccessReport.CredentialAccess b = only(report, "B");
    assertEquals(1, b.allowed());
    assertEquals(List.of(new KeyAccessReport.VersionUse(2, 1,
        Instant.parse("2026-12-01T10:00:01Z"))), b.agents().get(0).versions());
    KeyAccessReport.CredentialAccess a = only(report, "A");
    assertEquals(2, a.failed());
    assertEquals(0, a.allowed());
    assertEquals(0, report.withoutCredential());
  }

  @Test
  void aSkippedAttemptIsDeniedWhenThePolicyRefusedItAndSendsNoKey() {
    KeyAccessReport report = new KeyAccessReport();
    report.accept(attempt("2026-12-01T10:00:00Z", 1, "A", 0, "skipped", "model_not_allowed"));
    report.accept(attempt("2026-12-01T10:00:00Z", 2, "B", 0, "skipped", "circuit_open"));

    KeyAccessReport.CredentialAccess a = only(report, "A");
    assertEquals(1, a.denied());
    assertEquals(Instant.parse("2026-12-01T10:00:00Z"), a.agents().get(0).lastDenied());
    KeyAccessReport.CredentialAccess b = only(report, "B");
    assertEquals(1, b.failed());
    assertEquals(0, b.denied());
    assertEquals(List.of(), b.agents().get(0).versions());
    assertEquals(null, b.lastUsed());
  }
}
