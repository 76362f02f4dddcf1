package dev.keyward.proxy.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyward.proxy.Keyward;
import dev.keyward.proxy.cli.ExitCodes;
import dev.keyward.proxy.storage.Storage;
import dev.keyward.proxy.testing.Agent;
import dev.keyward.proxy.testing.AuditCapture;
import dev.keyward.proxy.testing.Cli;
import dev.keyward.proxy.testing.ProxyHarness;
import dev.keyward.proxy.testing.TestInstallation;
import dev.keyward.vault.KvStore;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every way of cutting a log that a running Keyward is writing, each caught by {@code keyward audit
 * verify --config}: the head, the tail, a rotated file, the header line together with the tail,
 * and everything after the last checkpoint. The log is copied while Keyward runs, as someone with
 * write access to the audit volume would see and change it; checkpoints are an hour apart, so
 * what is cut has never been signed and only the witness in the store can tell.
 */
class AuditCuttingTest {

  static final String INSTANCE = "cut-test";

  @TempDir
  Path dir;

  ProxyHarness proxy;

  @AfterEach
  void stop() throws Exception {
    if (proxy != null) {
      proxy.close();
    }
  }

  void start(String maxFileSize) throws Exception {
    proxy = ProxyHarness.start(dir, ProxyHarness.options().config(String.join("\n",
        "audit:", "  file: " + TestInstallation.AUDIT_FILE, "  instance: " + INSTANCE,
        "  checkpoint_interval: 1h", "  max_file_size: " + maxFileSize, "")));
  }

  /**
   * Sends {@code count} requests, waits until the last one is in the log, then until the store
   * witnesses the log's last line.
   */
  void requests(int count) throws Exception {
    String token = proxy.token();
    String lastRequest = "";
    for (int i = 0; i < count; i++) {
      HttpResponse<String> response = proxy.agent().post("/r/local/chat/" + i, token, "{}");
      assertEquals(200, response.statusCode());
      lastRequest = response.headers().firstValue("x-request-id").orElseThrow();
    }
    new AuditCapture(dir).forRequest(lastRequest);
    long last = lastSeq();
    Awaitility.await("the log's head witnessed").atMost(Duration.ofSeconds(20))
        .until(() -> witnessedHead() >= last);
  }

  /**
   * Starts Keyward again on the same installation (its audit files as they are now), sends {@code
   * count} requests, each answered, and stops it once the last one is in the log.
   */
  void restartAndServe(int count) throws Exception {
    try (Keyward again = proxy.installation().start()) {
      Agent agent = new Agent(again.port());
      String token = proxy.token();
      String lastRequest = "";
      for (int i = 0; i < count; i++) {
        HttpResponse<String> response = agent.post("/r/local/chat/after-" + i, token, "{}");
        assertEquals(200, response.statusCode(), "Keyward serves after the restart");
        lastRequest = response.headers().firstValue("x-request-id").orElseThrow();
      }
      new AuditCapture(dir).forRequest(lastRequest);
    } // stopping writes a final checkpoint and witnesses it
  }

  /** {@code audit verify --config} on every file of the configured log. */
  Cli.Result verifyConfiguredLog() {
    return Cli.run("audit", "verify", "--config", dir.resolve("keyward.yaml").toString());
  }

  long lastSeq() throws Exception {
    List<String> lines = Files.readAllLines(log(), StandardCharsets.UTF_8);
    return new JsonObject(lines.get(lines.size() - 1)).getLong("seq");
  }

  long witnessedHead() throws Exception {
    try (Storage storage = proxy.installation().storage()) {
      Optional<KvStore.Document> witness =
          storage.kv().read("audit/instances/" + INSTANCE + "/witness", 0);
      return witness.map(w -> Long.parseLong(w.data().getOrDefault("head_seq", "-1")))
          .orElse(-1L);
    }
  }

  Path log() {
    return dir.resolve(TestInstallation.AUDIT_FILE);
  }

  /** The log's files as the attacker found them, copied to a directory of their own. */
  List<Path> copyLog() throws Exception {
    Path copy = Files.createDirectories(dir.resolve("copy-" + System.nanoTime()));
    List<Path> files = new ArrayList<>();
    for (Path file : AuditFiles.inOrder(log())) {
      files.add(Files.copy(file, copy.resolve(file.getFileName())));
    }
    return files;
  }

  static List<String> lines(Path file) throws Exception {
    return new ArrayList<>(Files.readAllLines(file, StandardCharsets.UTF_8));
  }

  static void write(Path file, List<String> lines) throws Exception {
    Files.writeString(file, lines.isEmpty() ? "" : String.join("\n", lines) + "\n",
        StandardCharsets.UTF_8);
  }

  Cli.Result verify(List<Path> files, String... extra) {
    List<String> args = new ArrayList<>(List.of("audit", "verify", "--config",
        dir.resolve("keyward.yaml").toString()));
    args.addAll(List.of(extra));
    files.forEach(f -> args.add(f.toString()));
    return Cli.run(args.toArray(new String[0]));
  }

  static void assertTampered(Cli.Result result, String expected) {
    assertEquals(ExitCodes.TAMPERED, result.exit(), result.toString());
    assertTrue(result.out().contains(expected), result.toString());
  }

  @Test
  void anUncutCopyOfARunningLogVerifies() throws Exception {
    start("100MiB");
    requests(4);
    Cli.Result result = verify(copyLog());
    assertEquals(ExitCodes.OK, result.exit(), result.toString());
  }

  @Test
  void cuttingTheHeadIsDetected() throws Exception {
    start("100MiB");
    requests(4);
    Path file = copyLog().get(0);
    List<String> lines = lines(file);
    write(file, lines.subList(2, lines.size())); // the header and the first entry
    assertTampered(verify(List.of(file)), "starts mid-chain");
  }

  @Test
  void cuttingTheTailIsDetected() throws Exception {
    start("100MiB");
    requests(4);
    Path file = copyLog().get(0);
    List<String> lines = lines(file);
    write(file, lines.subList(0, lines.size() - 2));
    assertTampered(verify(List.of(file)), "truncated");
  }

  @Test
  void cuttingTheHeaderLineTogetherWithTheTailIsDetected() throws Exception {
    start("100MiB");
    requests(4);
    Path file = copyLog().get(0);
    List<String> lines = lines(file);
    write(file, lines.subList(1, lines.size() - 2));
    assertTampered(verify(List.of(file)), "truncated");
  }

  @Test
  void cuttingEverythingAfterTheLastCheckpointIsDetected() throws Exception {
    start("100MiB");
    requests(4);
    Path file = copyLog().get(0);
    List<String> lines = lines(file);
    int lastCheckpoint = 0; // the header, when no checkpoint was written yet
    for (int i = 0; i < lines.size(); i++) {
      if ("checkpoint".equals(new JsonObject(lines.get(i)).getString("type"))) {
        lastCheckpoint = i;
      }
    }
    write(file, lines.subList(0, lastCheckpoint + 1));
    assertTampered(verify(List.of(file)), "truncated");
  }

  @Test
  void deletingTheOldestRotatedFileIsDetected() throws Exception {
    start("2KiB");
    requests(12);
    List<Path> files = copyLog();
    assertTrue(files.size() >= 3, "expected rotation: " + files);
    Files.delete(files.get(0));
    // Every file of the configured log, as `audit verify --config` checks by default:
    Path copyDir = files.get(0).getParent();
    Path config = dir.resolve("keyward.yaml");
    Files.writeString(config, Files.readString(config).replace(TestInstallation.AUDIT_FILE,
        copyDir.resolve("audit.jsonl").toString()));
    Cli.Result result = Cli.run("audit", "verify", "--config", config.toString());
    assertTampered(result, "missing");
  }

  @Test
  void deletingTheWholeLogIsDetected() throws Exception {
    start("100MiB");
    requests(2);
    List<Path> files = copyLog();
    for (Path file : files) {
      Files.delete(file);
    }
    Path config = dir.resolve("keyward.yaml");
    Files.writeString(config, Files.readString(config).replace(TestInstallation.AUDIT_FILE,
        files.get(0).getParent().resolve("audit.jsonl").toString()));
    assertTampered(Cli.run("audit", "verify", "--config", config.toString()), "truncated");
  }

  @Test
  void cuttingTheTailWhileKeywardIsStoppedStaysVisibleAfterARestart() throws Exception {
    start("100MiB");
    requests(20); // lines 0-21: the header, 20 requests, the final checkpoint
    proxy.keyward().close();
    List<String> lines = lines(log());
    assertEquals(22, lines.size(), lines.toString());
    write(log(), lines.subList(0, 7)); // lines 7-21 cut
    // More requests than were cut: the new lines pass the witnessed head, which must not make
    // the cut disappear.
    restartAndServe(25);
    Cli.Result result = verifyConfiguredLog();
    assertTampered(result, "gap: when Keyward started");
    assertTrue(result.out().contains("the files ended at seq 6: 15 lines were cut"),
        result.toString());
  }

  @Test
  void deletingTheWholeLogWhileKeywardIsStoppedStaysVisibleAfterARestart() throws Exception {
    start("2KiB");
    requests(20);
    proxy.keyward().close();
    for (Path file : AuditFiles.inOrder(log())) {
      Files.delete(file);
    }
    restartAndServe(25);
    Cli.Result result = verifyConfiguredLog();
    assertTampered(result, "gap: when Keyward started");
    assertTrue(result.out().contains("the whole log was deleted"), result.toString());
  }

  @Test
  void aRestartOnAnIntactLogRecordsNoGap() throws Exception {
    start("2KiB");
    requests(6);
    proxy.keyward().close();
    restartAndServe(3);
    Cli.Result result = verifyConfiguredLog();
    assertEquals(ExitCodes.OK, result.exit(), result.toString());
  }

  @Test
  void deletingARotatedFileInTheMiddleIsDetected() throws Exception {
    start("2KiB");
    requests(12);
    List<Path> files = copyLog();
    assertTrue(files.size() >= 3, "expected rotation: " + files);
    List<Path> kept = new ArrayList<>(files);
    Files.delete(kept.remove(1));
    assertTampered(verify(kept), "hash chain broken");
  }

  @Test
  void aLogWithoutAWitnessInTheStoreFailsVerificationWithAConfiguration() throws Exception {
    start("100MiB");
    requests(2);
    Cli.Result result = verify(copyLog(), "--instance", "never-ran");
    assertTampered(result, "no witness");
  }

  @Test
  void verifySaysExactlyHowManyRecordsNoCheckpointCovers() throws Exception {
    start("100MiB");
    requests(3);
    Cli.Result result = verify(copyLog(), "--json");
    assertEquals(ExitCodes.OK, result.exit(), result.toString());
    JsonObject report = new JsonObject(result.out());
    assertEquals(3, report.getLong("unsealed"), report.encodePrettily());
    assertEquals(0, report.getLong("unwitnessed"), report.encodePrettily());
  }
}
