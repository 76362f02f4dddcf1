package dev.keyward.vault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileCredentialStoreTest extends CredentialStoreContract {

  @TempDir
  Path dir;

  Path kekFile;

  @Override
  protected CredentialStore newStore() throws Exception {
    kekFile = dir.resolve("kek.json");
    LocalKek.create(kekFile);
    sealer = new Sealer(LocalKek.load(kekFile));
    return new FileCredentialStore(new FileKvStore(dir.resolve("store"), Clock.systemUTC()), sealer,
        Clock.systemUTC());
  }

  @Override
  protected void rotateKek() throws Exception {
    LocalKek.rotate(kekFile);
    sealer = new Sealer(LocalKek.load(kekFile));
    store = new FileCredentialStore(new FileKvStore(dir.resolve("store"), Clock.systemUTC()), sealer,
        Clock.systemUTC());
  }

  private List<Path> storedFiles() throws Exception {
    try (Stream<Path> files = Files.walk(dir.resolve("store"))) {
      return files.filter(Files::isRegularFile).filter(p -> p.toString().endsWith(".json")).toList();
    }
  }

  @Test
  void filesOnDiskNeverHoldTheSecretInAnyEncoding() throws Exception {
    store.create(spec("openrouter"), secret(SECRET_1), "alice");
    store.rotate(TENANT, "openrouter", secret(SECRET_2), "alice");
    String b64 = Base64.getEncoder().encodeToString(SECRET_1.getBytes(StandardCharsets.US_ASCII));
    for (Path file : storedFiles()) {
      String content = Files.readString(file);
      assertFalse(content.contains(SECRET_1) || content.contains(SECRET_2) || content.contains(b64),
          file.toString());
    }
  }

  @Test
  void filesAreReadableByTheOwnerOnly() throws Exception {
    store.create(spec("openrouter"), secret(SECRET_1), "alice");
    for (Path file : storedFiles()) {
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    }
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(kekFile)));
  }
}
