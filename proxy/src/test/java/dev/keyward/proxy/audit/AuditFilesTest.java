package dev.keyward.proxy.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuditFilesTest {

  @TempDir
  Path dir;

  static String entry(long seq, String time) {
    return new JsonObject().put("seq", seq).put("type", "request").put("time", time).encode()
        + "\n";
  }

  List<Long> seqsSince(String since) throws Exception {
    List<Long> seqs = new ArrayList<>();
    AuditFiles.forEachEntry(AuditFiles.inOrder(dir.resolve("audit.jsonl")),
        Instant.parse(since), e -> seqs.add(e.getLong("seq")));
    return seqs;
  }

  @Test
  void aRotatedFileClosedBeforeSinceIsNotReadAndTheRestAre() throws Exception {
    // Closed at 10:15:00 (its name has whole seconds): its last entry may be 10:15:00.7.
    Files.writeString(dir.resolve("audit-20261122T101500Z-000000000002.jsonl"),
        entry(1, "2026-11-22T10:10:00Z") + entry(2, "2026-11-22T10:15:00.700Z"));
    Files.writeString(dir.resolve("audit.jsonl"), entry(3, "2026-11-22T10:20:00Z"));
    assertEquals(List.of(1L, 2L, 3L), seqsSince("2026-11-22T10:00:00Z"));
    assertEquals(List.of(2L, 3L), seqsSince("2026-11-22T10:15:00.500Z"));
    assertEquals(List.of(3L), seqsSince("2026-11-22T10:15:01Z"));
    assertEquals(Instant.parse("2026-11-22T10:15:00Z"), AuditFiles.closedAt(
        dir.resolve("audit-20261122T101500Z-000000000002.jsonl")).orElseThrow());
  }
}
