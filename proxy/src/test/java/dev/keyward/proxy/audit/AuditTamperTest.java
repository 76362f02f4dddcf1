package dev.keyward.proxy.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyward.proxy.cli.ExitCodes;
import dev.keyward.proxy.testing.Cli;
import dev.keyward.proxy.testing.ProxyHarness;
import dev.keyward.proxy.testing.TestInstallation;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code keyward audit verify} on a log written by a real Keyward: intact, it verifies; an edited
 * byte, a deleted line, two swapped lines and a truncated tail are each detected.
 */
class AuditTamperTest {

  @TempDir
  Path dir;

  Path log;
  String config;

  @BeforeEach
  void writeALog() throws Exception {
    try (ProxyHarness proxy = ProxyHarness.start(dir, ProxyHarness.options())) {
      String token = proxy.token();
      for (int i = 0; i < 4; i++) {
        assertEquals(200, proxy.agent().post("/r/local/chat/" + i, token, "{}").statusCode());
      }
      assertEquals(401, proxy.agent().post("/r/local/chat", "not-a-token", "{}").statusCode());
    } // closing writes the final checkpoint and witnesses it in the store
    log = dir.resolve(TestInstallation.AUDIT_FILE);
    config = dir.resolve("keyward.yaml").toString();
  }

  List<String> lines() throws Exception {
    return new ArrayList<>(Files.readAllLines(log, StandardCharsets.UTF_8));
  }

  void write(List<String> lines) throws Exception {
    Files.writeString(log, String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
  }

  Cli.Result verify() {
    return Cli.run("audit", "verify", "--config", config, log.toString());
  }

  void assertTampered(String expected) {
    Cli.Result result = verify();
    assertEquals(ExitCodes.TAMPERED, result.exit(), result.toString());
    assertTrue(result.out().contains(expected), result.toString());
  }

  @Test
  void anIntactLogVerifiesWithSignedCheckpointsAndTheWitness() throws Exception {
    Cli.Result result = Cli.run("audit", "verify", "--config", config, "--json");
    assertEquals(ExitCodes.OK, result.exit(), result.toString());
    JsonObject report = new JsonObject(result.out());
    assertEquals(5, report.getLong("entries"));
    assertTrue(report.getLong("checkpoints") >= 1);
    assertTrue(report.getJsonArray("notes").isEmpty(), report.encodePrettily());
  }

  @Test
  void anEditedByteIsDetected() throws Exception {
    List<String> lines = lines();
    lines.set(2, lines.get(2).replace("/chat/1", "/chat/9"));
    write(lines);
    assertTampered("hash chain broken");
  }

  @Test
  void aDeletedLineIsDetected() throws Exception {
    List<String> lines = lines();
    lines.remove(2);
    write(lines);
    assertTampered("a line was removed or moved");
  }

  @Test
  void twoSwappedLinesAreDetected() throws Exception {
    List<String> lines = lines();
    String second = lines.get(2);
    lines.set(2, lines.get(3));
    lines.set(3, second);
    write(lines);
    assertTampered("hash chain broken");
  }

  @Test
  void aTruncatedTailIsDetectedAgainstTheWitnessedCheckpoint() throws Exception {
    List<String> lines = lines();
    // Cut the final checkpoint and the entry before it: what remains is a valid chain.
    write(lines.subList(0, lines.size() - 2));
    assertTampered("truncated");
  }

  @Test
  void aForgedCheckpointSignatureIsDetected() throws Exception {
    List<String> lines = lines();
    int last = lines.size() - 1;
    JsonObject checkpoint = new JsonObject(lines.get(last));
    assertEquals("checkpoint", checkpoint.getString("type"));
    lines.set(last, checkpoint.put("time", "2020-01-01T00:00:00Z").encode());
    write(lines);
    assertTampered("checkpoint signature invalid");
  }
}
