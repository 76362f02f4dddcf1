package dev.keyward.proxy.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.PublicKeySign;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.TinkJsonProtoKeysetFormat;
import com.google.crypto.tink.signature.PredefinedSignatureParameters;
import dev.keyward.proxy.cli.ExitCodes;
import dev.keyward.proxy.config.KeywardConfig;
import dev.keyward.proxy.storage.Storage;
import dev.keyward.vault.KvStore;
import dev.keyward.proxy.testing.Cli;
import dev.keyward.proxy.testing.ProxyHarness;
import dev.keyward.proxy.testing.TestInstallation;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
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
  void aKeyAndWitnessReplacedInTheStoreDoNotFoolAVerifyThatPinsTheKey() throws Exception {
    Cli.Result exported = Cli.run("audit", "public-key", "--config", config);
    assertEquals(ExitCodes.OK, exported.exit(), exported.toString());
    Path pinned = dir.resolve("audit-public-key.json");
    Files.writeString(pinned, exported.out());
    Path file = Path.of(config);
    Files.writeString(file, Files.readString(file).replace("audit:\n",
        "audit:\n  public_key: " + pinned + "\n"));
    // Someone who can write both the audit files and the store re-signs the last checkpoint with
    // a key of their own, installs its public half and moves the witness to the forged line.
    KeysetHandle forger = KeysetHandle.generateNew(PredefinedSignatureParameters.ECDSA_P256);
    List<String> lines = lines();
    int last = lines.size() - 1;
    JsonObject checkpoint = new JsonObject(lines.get(last)).put("time", "2020-01-01T00:00:00Z");
    byte[] message = AuditChain.checkpointMessage(checkpoint.getString("instance"),
        checkpoint.getLong("seq"), checkpoint.getString("time"), checkpoint.getString("prev"));
    checkpoint.put("signature", Base64.getEncoder().encodeToString(forger
        .getPrimitive(RegistryConfiguration.get(), PublicKeySign.class).sign(message)));
    lines.set(last, checkpoint.encode());
    write(lines);
    String instance = TestInstallation.INSTANCE;
    try (Storage storage = Storage.open(KeywardConfig.load(file, Map.of()).storage(),
        Clock.systemUTC())) {
      KvStore kv = storage.kv();
      kv.write(AuditKeys.publicKeyPath(instance), Map.of("public_keyset",
          TinkJsonProtoKeysetFormat.serializeKeysetWithoutSecret(forger.getPublicKeysetHandle())),
          kv.read(AuditKeys.publicKeyPath(instance), 0).orElseThrow().version());
      Map<String, String> witness = new java.util.HashMap<>(
          kv.read(AuditWitness.path(instance), 0).orElseThrow().data());
      witness.put("head_hash", AuditChain.hash(checkpoint.encode()
          .getBytes(StandardCharsets.UTF_8)));
      witness.put("time", "2020-01-01T00:00:00Z");
      kv.write(AuditWitness.path(instance), witness,
          kv.read(AuditWitness.path(instance), 0).orElseThrow().version());
    }
    assertTampered("checkpoint signature invalid");
  }

  @Test
  void aPublicKeyMissingFromTheStoreFailsVerificationWithAConfiguration() throws Exception {
    try (Storage storage = Storage.open(KeywardConfig.load(Path.of(config), Map.of()).storage(),
        Clock.systemUTC())) {
      KvStore kv = storage.kv();
      String path = AuditKeys.publicKeyPath(TestInstallation.INSTANCE);
      kv.destroy(path, kv.read(path, 0).orElseThrow().version());
      assertTrue(AuditKeys.publicKeyset(kv, TestInstallation.INSTANCE).isEmpty());
    }
    assertTampered("no public key to check it");
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
