package dev.keyward.vault;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.HexFormat;
import java.util.Map;

/**
 * Run in a child JVM by {@link FileKvStoreCrashTest}: writes large versions of one document as
 * fast as it can until it is killed. Each version carries the SHA-256 of its payload, so a torn
 * write would be caught.
 */
public final class CrashWriterMain {

  static final String PATH = "credentials/acme/crash";

  private CrashWriterMain() {}

  public static void main(String[] args) throws Exception {
    FileKvStore kv = new FileKvStore(Path.of(args[0]), Clock.systemUTC());
    String filler = "x".repeat(256 * 1024);
    int version = kv.metadata(PATH).map(KvStore.Metadata::currentVersion).orElse(0);
    boolean ready = false;
    while (true) {
      String payload = filler + version;
      kv.write(PATH, Map.of("payload", payload, "sha256", sha256(payload)), version);
      version++;
      if (!ready) {
        // Only once a version exists: a kill before the first write (a slow JVM start on a
        // loaded machine) would leave nothing to check.
        System.out.println("ready");
        System.out.flush();
        ready = true;
      }
    }
  }

  static String sha256(String text) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
        .digest(text.getBytes(StandardCharsets.UTF_8)));
  }
}
