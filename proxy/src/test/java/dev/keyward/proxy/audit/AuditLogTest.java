package dev.keyward.proxy.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.crypto.tink.Aead;
import dev.keyward.vault.FileKvStore;
import dev.keyward.vault.KvStore;
import dev.keyward.vault.LocalKek;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The audit log's chain across rotations, restarts and a crash-torn line. */
class AuditLogTest {

  @TempDir
  Path dir;

  KvStore kv;
  Aead kek;
  Path file;

  @BeforeEach
  void setUp() throws Exception {
    LocalKek.create(dir.resolve("kek.json"));
    kek = LocalKek.load(dir.resolve("kek.json"));
    kv = new FileKvStore(dir.resolve("store"), Clock.systemUTC());
    file = dir.resolve("audit").resolve("audit.jsonl");
  }

  AuditLog open(long maxFileBytes) throws Exception {
    return new AuditLog(new AuditLog.Settings(Optional.of(file), false, maxFileBytes,
        Duration.ofHours(1), AuditLog.OnFailure.FAIL_CLOSED, "test-1"),
        AuditKeys.signer(kv, kek, "test-1", Optional.empty()), kv, Clock.systemUTC(), null);
  }

  static AuditRecord entry(int n) {
    return new AuditRecord(Instant.now(), "req-" + n, "agent-1", "acme", "jti-" + n, "local",
        "local", 1, "api.example.com", "POST", "/v1/chat/" + n, "allowed", "allowed",
        "allowed by grant 'acme'", "acme", "0123456789ab", 200, 200,
        10, 20, 1000, null);
  }

  void write(int from, int to, long maxFileBytes) throws Exception {
    try (AuditLog log = open(maxFileBytes)) {
      for (int i = from; i < to; i++) {
        log.record(entry(i));
      }
    }
  }

  AuditVerifier.Result verifyAll() throws Exception {
    return AuditVerifier.verify(AuditFiles.inOrder(file),
        Optional.of(AuditKeys.verifier(AuditKeys.publicKeyset(kv, "test-1").orElseThrow())),
        AuditWitness.load(kv, "test-1"));
  }

  @Test
  void theChainContinuesAcrossRotatedFiles() throws Exception {
    write(0, 40, 2_000);
    List<Path> files = AuditFiles.inOrder(file);
    assertTrue(files.size() > 3, "expected rotation, got " + files);
    AuditVerifier.Result result = verifyAll();
    assertTrue(result.ok(), result.problems().toString());
    assertEquals(40, result.entries());
    assertTrue(result.notes().isEmpty(), result.notes().toString());
  }

  @Test
  void aRestartContinuesTheChainInTheSameFile() throws Exception {
    write(0, 3, 1_000_000);
    write(3, 5, 1_000_000);
    assertEquals(List.of(file), AuditFiles.inOrder(file));
    AuditVerifier.Result result = verifyAll();
    assertTrue(result.ok(), result.problems().toString());
    assertEquals(5, result.entries());
  }

  @Test
  void aCrashTornLineIsKeptAsideReportedAndTheChainGoesOnFromTheLineBefore() throws Exception {
    write(0, 3, 1_000_000);
    Files.writeString(file, "{\"seq\":99,\"type\":\"requ", StandardCharsets.UTF_8,
        StandardOpenOption.APPEND);
    write(3, 5, 1_000_000);
    List<Path> files = AuditFiles.inOrder(file);
    assertEquals(2, files.size(), files.toString());
    assertTrue(files.get(0).getFileName().toString().endsWith("-torn.jsonl"));
    String header = Files.readAllLines(file).get(0);
    assertEquals(files.get(0).getFileName().toString(),
        new JsonObject(header).getString("previous_file"));
    AuditVerifier.Result result = verifyAll();
    assertEquals(1, result.problems().size(), result.problems().toString());
    assertTrue(result.problems().get(0).message().contains("middle of a line"));
    assertEquals(5, result.entries());
  }

  @Test
  void closingSealsEverythingWithASignedCheckpointWitnessedInTheStore() throws Exception {
    write(0, 2, 1_000_000);
    List<String> lines = Files.readAllLines(file);
    JsonObject last = new JsonObject(lines.get(lines.size() - 1));
    assertEquals("checkpoint", last.getString("type"));
    assertEquals(last.getLong("seq"), AuditWitness.load(kv, "test-1").orElseThrow().seq());
    assertEquals(0, verifyAll().unsealed());
  }
}
