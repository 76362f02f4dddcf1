package dev.keyward.vault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A writer killed with SIGKILL at random moments mid-write never loses or corrupts the versions
 * already written: after every kill the document reads back whole, every version's checksum
 * matches, and the next writer carries on. The writer is killed right after it reports its
 * k-th version written (k random), so it is always mid-way through the next write however slow
 * the machine is.
 */
class FileKvStoreCrashTest {

  static final int ROUNDS = 10;

  @TempDir
  Path dir;

  @Test
  void killingAWriterMidWriteNeverCorruptsTheDocument() throws Exception {
    int lastVersion = 0;
    for (int round = 0; round < ROUNDS; round++) {
      Process writer = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java")
          .toString(), "-cp", System.getProperty("java.class.path"),
          CrashWriterMain.class.getName(), dir.toString())
          .redirectErrorStream(true)
          .start();
      try (BufferedReader out = new BufferedReader(
          new InputStreamReader(writer.getInputStream(), StandardCharsets.UTF_8))) {
        assertEquals("ready", out.readLine(), "the writer did not start");
        int versions = ThreadLocalRandom.current().nextInt(2, 6);
        for (int i = 0; i < versions; i++) {
          String line = out.readLine();
          assertTrue(line != null && line.startsWith("written "), "the writer stopped: " + line);
        }
        writer.destroyForcibly(); // SIGKILL: no shutdown hooks, no finally blocks
        assertTrue(writer.waitFor(10, TimeUnit.SECONDS));
      }

      FileKvStore kv = new FileKvStore(dir, Clock.systemUTC());
      KvStore.Metadata metadata = kv.metadata(CrashWriterMain.PATH).orElseThrow();
      assertTrue(metadata.currentVersion() >= lastVersion, "versions went backwards");
      for (int version : metadata.liveVersions()) {
        KvStore.Document document = kv.read(CrashWriterMain.PATH, version).orElseThrow();
        assertEquals(CrashWriterMain.sha256(document.data().get("payload")),
            document.data().get("sha256"), "version " + version + " is torn");
      }
      assertEquals(java.util.List.of("crash"), kv.list("credentials/acme"),
          "a leftover temporary file shows up as a document");
      lastVersion = metadata.currentVersion();
    }
    assertTrue(lastVersion > ROUNDS, "the writers wrote almost nothing: " + lastVersion);
  }
}
