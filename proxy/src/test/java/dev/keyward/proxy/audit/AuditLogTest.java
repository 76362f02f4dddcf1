package dev.keyward.proxy.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.crypto.tink.Aead;
import dev.keyward.vault.FileKvStore;
import dev.keyward.vault.KvException;
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
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.awaitility.Awaitility;
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

  /** The store, with every witness write noted in {@code events} before it is made. */
  record NotingWitnesses(KvStore store, List<String> events) implements KvStore {
    @Override
    public Optional<Document> read(String path, int version) throws KvException {
      return store.read(path, version);
    }

    @Override
    public Optional<Metadata> metadata(String path) throws KvException {
      return store.metadata(path);
    }

    @Override
    public int write(String path, Map<String, String> data, int cas) throws KvException {
      if (path.endsWith("/witness")) {
        events.add("witness " + data.get("head_seq"));
      }
      return store.write(path, data, cas);
    }

    @Override
    public void putCustomMetadata(String path, Map<String, String> custom) throws KvException {
      store.putCustomMetadata(path, custom);
    }

    @Override
    public void destroy(String path, int version) throws KvException {
      store.destroy(path, version);
    }

    @Override
    public List<String> list(String folder) throws KvException {
      return store.list(folder);
    }
  }

  @Test
  void theStoreWitnessesAHeadOnlyOnceTheLinesUpToItWereForcedToDisk() throws Exception {
    List<String> events = Collections.synchronizedList(new ArrayList<>());
    AuditLog.Fsync noting = channel -> {
      long size = channel.size(); // everything written before force() is forced by it
      channel.force(true);
      events.add("forced " + size);
    };
    int entries = 200;
    try (AuditLog log = new AuditLog(new AuditLog.Settings(Optional.of(file), false, 1_000_000,
        Duration.ofHours(1), AuditLog.OnFailure.FAIL_CLOSED, "test-1", Duration.ofMillis(5),
        Optional.empty()), AuditKeys.signer(kv, kek, "test-1", Optional.empty()),
        new NotingWitnesses(kv, events), Clock.systemUTC(), null, noting)) {
      for (int i = 0; i < entries; i++) {
        log.record(entry(i));
      }
      // Witnessed while running (checkpoints are an hour apart): the head, not a checkpoint.
      Awaitility.await("the last entry witnessed").atMost(Duration.ofSeconds(20)).until(() ->
          AuditWitness.load(kv, "test-1").map(AuditWitness::headSeq).orElse(-1L) >= entries);
    }
    Map<Long, Long> endOf = new HashMap<>(); // seq -> the file offset just past its line
    long offset = 0;
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      offset += line.getBytes(StandardCharsets.UTF_8).length + 1;
      endOf.put(new JsonObject(line).getLong("seq"), offset);
    }
    long forced = 0;
    List<String> seen = List.copyOf(events);
    assertTrue(seen.stream().anyMatch(e -> e.startsWith("witness")), seen.toString());
    for (String event : seen) {
      String[] parts = event.split(" ");
      if (parts[0].equals("forced")) {
        forced = Math.max(forced, Long.parseLong(parts[1]));
      } else {
        long headSeq = Long.parseLong(parts[1]);
        assertTrue(endOf.get(headSeq) <= forced, "seq " + headSeq + " (ending at byte "
            + endOf.get(headSeq) + ") was witnessed with only " + forced + " bytes forced: "
            + seen);
      }
    }
  }

  AuditLog open(Path logFile) throws Exception {
    return new AuditLog(new AuditLog.Settings(Optional.of(logFile), false, 1_000_000,
        Duration.ofHours(1), AuditLog.OnFailure.FAIL_CLOSED, "test-1", Duration.ofMillis(5),
        Optional.empty()), AuditKeys.signer(kv, kek, "test-1", Optional.empty()), kv,
        Clock.systemUTC(), null);
  }

  long witnessedHead() throws Exception {
    return AuditWitness.load(kv, "test-1").map(AuditWitness::headSeq).orElse(-1L);
  }

  @Test
  void linesWrittenAfterTheLastWitnessBeforeACrashAreNoGap() throws Exception {
    write(0, 3, 1_000_000);
    long witnessed = AuditWitness.load(kv, "test-1").orElseThrow().headSeq();
    // Lines the store never witnessed, correctly chained, as a crash right after writing leaves.
    List<String> lines = Files.readAllLines(file);
    String prev = AuditChain.hash(lines.get(lines.size() - 1).getBytes(StandardCharsets.UTF_8));
    for (int i = 1; i <= 2; i++) {
      String line = new JsonObject().put("seq", witnessed + i).mergeIn(entry(100 + i).toJson())
          .put("prev", prev).encode();
      Files.writeString(file, line + "\n", StandardOpenOption.APPEND);
      prev = AuditChain.hash(line.getBytes(StandardCharsets.UTF_8));
    }
    write(3, 5, 1_000_000);
    AuditVerifier.Result result = verifyAll();
    assertTrue(result.ok(), result.problems().toString());
    assertEquals(7, result.entries());
  }

  @Test
  void aLineRewrittenBeforeTheWitnessedHeadIsAGapAtTheNextStart() throws Exception {
    write(0, 3, 1_000_000);
    List<String> lines = Files.readAllLines(file);
    int last = lines.size() - 1; // the final checkpoint: the witnessed head
    lines.set(last, lines.get(last).replace("\"time\":\"", "\"time\":\"1"));
    Files.writeString(file, String.join("\n", lines) + "\n");
    write(3, 5, 1_000_000);
    AuditVerifier.Result result = verifyAll();
    assertTrue(result.problems().stream().anyMatch(p -> p.message().contains("the line at seq "
        + last + " in the files is not that line")), result.problems().toString());
  }

  @Test
  void aLogNeverOverwritesTheWitnessOfAnotherLogOfItsInstance() throws Exception {
    Path otherFile = dir.resolve("other").resolve("audit.jsonl");
    try (AuditLog first = open(file)) {
      for (int i = 0; i < 3; i++) {
        first.record(entry(i));
      }
      Awaitility.await("the first log witnessed").atMost(Duration.ofSeconds(20))
          .until(() -> witnessedHead() >= 3);
      // A second Keyward under the same instance name, on another volume: it finds nothing of
      // the witnessed log, records the gap and takes the witness over.
      try (AuditLog second = open(otherFile)) {
        second.record(entry(10));
      }
      AuditWitness taken = AuditWitness.load(kv, "test-1").orElseThrow();
      assertTrue(Files.readString(otherFile).contains("\"type\":\"gap\""));
      for (int i = 3; i < 40; i++) {
        first.record(entry(i));
      }
      // The first log goes on, further than the second, but may not overwrite its witness.
      Awaitility.await("the first log's entries written").atMost(Duration.ofSeconds(20))
          .until(() -> Files.readAllLines(file).size() >= 41);
      first.close();
      assertEquals(taken, AuditWitness.load(kv, "test-1").orElseThrow());
    }
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
