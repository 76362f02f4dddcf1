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
}
